// What the exam subgraph offers other services: its queues and "is this student sitting an exam in
// this course?" (the tutor refuses to help while an attempt runs), with its cache and invalidation.
import { defineInternalRoute, defineQueue, type InternalClient, invalidateVersioned, type Redis, standardJobOptions, VersionedCache } from '@ai-teacher/shared';
import { z } from 'zod';

/** generate-exam: the items of a GENERATING exam, grounded in the course's books. */
export interface GenerateExamPayload {
  examId: string;
  requestId?: string;
}
export const generateExamQueue = defineQueue<GenerateExamPayload>('generate-exam', {
  // Retries cover retrieval, the model or the database being briefly away; an exam that cannot be
  // made (no text on the chosen pages) fails at once.
  defaultJobOptions: { ...standardJobOptions, attempts: 3, backoff: { type: 'exponential', delay: 3_000 } },
  jobId: (p) => `generate-${p.examId}`,
});

/** submit-attempt: delayed until an attempt's deadline; submits it if the student has not. */
export interface SubmitAttemptPayload {
  attemptId: string;
  requestId?: string;
}
export const submitAttemptQueue = defineQueue<SubmitAttemptPayload>('submit-attempt', {
  defaultJobOptions: { ...standardJobOptions, attempts: 10, backoff: { type: 'exponential', delay: 1_000 } },
  jobId: (p) => `submit-${p.attemptId}`,
});

/** grade-attempt: short answers of a submitted attempt graded by the model (when one is configured). */
export interface GradeAttemptPayload {
  attemptId: string;
  requestId?: string;
}
export const gradeAttemptQueue = defineQueue<GradeAttemptPayload>('grade-attempt', {
  defaultJobOptions: { ...standardJobOptions, attempts: 4, backoff: { type: 'exponential', delay: 5_000 } },
  jobId: (p) => `grade-${p.attemptId}`,
});

/** The student's running attempt in the course, if any (deadline in ISO-8601). */
export const examLockRoute = defineInternalRoute({
  path: '/internal/exam/lock',
  input: z.object({ courseId: z.uuid(), userId: z.uuid() }),
  output: z.object({ attempt: z.object({ attemptId: z.uuid(), examId: z.uuid(), deadline: z.string() }).nullable() }),
});
export type ExamLock = NonNullable<z.infer<typeof examLockRoute.output>['attempt']>;

const LOCK_TTL_SECONDS = 120;
const LOCK_CACHE = 'exam-lock';

/** Called by the exam subgraph after an attempt starts or ends (commit first). */
export async function invalidateExamLock(redis: Redis, courseId: string, userId: string): Promise<void> {
  await invalidateVersioned(redis, LOCK_CACHE, [`${courseId}:${userId}`]);
}

/** Asks the exam subgraph whether a student is sitting an exam in a course; cached in Redis. */
export class ExamLockClient {
  private readonly client: InternalClient;
  private readonly cache: VersionedCache;
  constructor(client: InternalClient, redis: Redis) {
    this.client = client;
    this.cache = new VersionedCache(redis, LOCK_CACHE, LOCK_TTL_SECONDS);
  }

  /** The running attempt, or null; an attempt past its deadline no longer locks anything. */
  async running(courseId: string, userId: string): Promise<ExamLock | null> {
    const { attempt } = await this.cache.get(`${courseId}:${userId}`, 'attempt', () => this.client.call(examLockRoute, { courseId, userId }));
    return attempt && Date.parse(attempt.deadline) > Date.now() ? attempt : null;
  }
}
