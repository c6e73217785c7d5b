import { defineWorker, handle } from '@ai-teacher/shared';
import { generateExamQueue, gradeAttemptQueue, submitAttemptQueue } from './contracts.ts';
import { generateExam } from './generation/run.ts';
import { gradeAttempt } from './grading/grade-attempt.ts';
import { ExamRepository } from './repositories/exam.repository.ts';
import { examService } from './service.ts';
import { submitAttempt } from './services/submission.ts';

/** The exam queue consumers, built from the same service set-up as the subgraph. */
export default defineWorker(examService, [
  handle(
    generateExamQueue,
    (job, s, ctx) => generateExam(job, { exams: new ExamRepository(s.orm.em.fork()), retrieval: s.retrieval, source: s.source, relay: s.relay, logger: ctx.logger }),
    { concurrency: 1 },
  ),
  // Delayed to the attempt's deadline; a no-op when the student submitted first.
  handle(submitAttemptQueue, async (job, s) => {
    const attempt = await submitAttempt(new ExamRepository(s.orm.em.fork()), job.data.attemptId, true, { redis: s.redis, gradings: s.gradings(), requestId: job.data.requestId });
    return { status: attempt?.status ?? 'UNKNOWN' };
  }),
  handle(gradeAttemptQueue, (job, s, ctx) => gradeAttempt(job.data.attemptId, { exams: new ExamRepository(s.orm.em.fork()), grader: s.grader, logger: ctx.logger }), { concurrency: 2 }),
]);
