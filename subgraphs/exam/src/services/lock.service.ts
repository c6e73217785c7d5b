import type { MikroORM } from '@ai-teacher/shared';
import type { ExamLock } from '../contracts.ts';
import { ExamRepository } from '../repositories/exam.repository.ts';

/** Answers the tutor's "is this student sitting an exam in this course?" from the attempts table. */
export class ExamLockLookup {
  private readonly orm: MikroORM;
  constructor(orm: MikroORM) {
    this.orm = orm;
  }

  async running(courseId: string, userId: string): Promise<ExamLock | null> {
    const attempt = await new ExamRepository(this.orm.em.fork()).runningAttempt(courseId, userId);
    return attempt ? { attemptId: attempt.id, examId: attempt.examId, deadline: attempt.deadline.toISOString() } : null;
  }
}
