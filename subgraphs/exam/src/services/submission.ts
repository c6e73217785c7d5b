// Submitting an attempt, by the student or by the server at the deadline: one path, so both grade
// the same way and either may come second without changing anything.
import type { Producer, Redis } from '@ai-teacher/shared';
import { invalidateExamLock, type GradeAttemptPayload } from '../contracts.ts';
import type { Answer, Attempt, ExamItem } from '../entities/exam.entity.ts';
import { gradeByRubric, gradeChoice } from '../grading/score.ts';
import type { ExamRepository } from '../repositories/exam.repository.ts';

/**
 * Multiple choice is graded exactly. A short answer gets provisional points by rubric coverage and
 * is marked for review (a teacher's grade, or the model's when one is configured, replaces them);
 * a blank short answer scores 0 and needs no review.
 */
export function gradeSubmission(items: ExamItem[], answers: Map<string, Answer>) {
  const grades = new Map<string, { points: number | null; feedback: string | null; needsReview: boolean }>();
  for (const item of items) {
    const answer = answers.get(item.id);
    if (item.type === 'MULTIPLE_CHOICE') {
      grades.set(item.id, { points: gradeChoice(item.correctOptionId, answer?.optionId ?? null, item.points), feedback: null, needsReview: false });
      continue;
    }
    const text = answer?.text?.trim() ?? '';
    if (!text) {
      grades.set(item.id, { points: 0, feedback: 'No answer was given.', needsReview: false });
      continue;
    }
    const graded = gradeByRubric(text, item.rubric, item.points);
    grades.set(item.id, { points: graded.points, feedback: graded.feedback, needsReview: true });
  }
  return grades;
}

export interface SubmissionEffects {
  redis: Redis;
  /** Set when a model grades short answers. */
  gradings: Producer<GradeAttemptPayload> | null;
  requestId?: string | undefined;
}

/** Submits and grades; afterwards the tutor is free again in the course. Null for an unknown attempt. */
export async function submitAttempt(exams: ExamRepository, attemptId: string, auto: boolean, effects: SubmissionEffects): Promise<Attempt | null> {
  const result = await exams.submit(attemptId, auto, gradeSubmission);
  if (!result) return null;
  const { attempt } = result;
  // Also when it was submitted before: a crash between commit and these steps is repaired by the
  // next call (the student's submit, or the deadline job's retry).
  await invalidateExamLock(effects.redis, attempt.courseId, attempt.studentId);
  if (attempt.status === 'SUBMITTED' && effects.gradings) {
    await effects.gradings.add({ attemptId, ...(effects.requestId ? { requestId: effects.requestId } : {}) });
  }
  return attempt;
}
