// The grade-attempt job: a model grades a submitted attempt's short answers by their rubric. A
// failed grade leaves the provisional (rubric-coverage) points marked for a teacher's review.
import type { Logger } from 'pino';
import type { ExamRepository } from '../repositories/exam.repository.ts';
import type { LlmGrader } from '../generation/llm.ts';

export async function gradeAttempt(attemptId: string, deps: { exams: ExamRepository; grader: LlmGrader | null; logger: Logger }): Promise<{ graded: number }> {
  if (!deps.grader) return { graded: 0 };
  const attempt = await deps.exams.attempt(attemptId);
  if (!attempt || attempt.status !== 'SUBMITTED') return { graded: 0 };
  const [items, answers] = await Promise.all([deps.exams.itemsOf([attempt.examId]), deps.exams.answersOf([attemptId])]);
  let graded = 0;
  for (const answer of answers) {
    const item = items.find((i) => i.id === answer.itemId);
    if (!item || item.type !== 'SHORT_ANSWER' || !answer.needsReview || !answer.text) continue;
    try {
      const g = await deps.grader.grade({ prompt: item.prompt, modelAnswer: item.modelAnswer ?? null, rubric: item.rubric, points: item.points }, answer.text);
      const saved = await deps.exams.gradeAnswer(attemptId, item.id, { points: g.points, feedback: g.feedback, needsReview: false });
      if (saved.ok) graded++;
    } catch (err) {
      deps.logger.warn({ err, attemptId, itemId: item.id }, 'model grading failed; the answer stays marked for review');
    }
  }
  return { graded };
}
