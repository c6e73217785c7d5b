// What resolvers are handed: an exam, item, attempt or answer together with what the caller may
// see of it, decided once by the service (resolvers only map fields).
import type { Answer, Attempt, Exam, ExamItem, ExamOptionData } from '../entities/exam.entity.ts';

/** A course as this subgraph knows it: its id (academic owns the rest). */
export interface CourseRef {
  id: string;
}

export interface ExamView {
  exam: Exam;
  /** The course's TEACHER or ADMIN: sees everything. */
  teacher: boolean;
  /** The caller's user id. */
  viewerId: string;
}

export interface ItemView {
  item: ExamItem;
  teacher: boolean;
  /** 1-based, in the order the viewer sees (a student's attempt has its own order). */
  position: number;
  options: ExamOptionData[];
}

export interface AttemptView {
  attempt: Attempt;
  exam: Exam;
  teacher: boolean;
}

export interface AnswerView {
  answer: Answer;
  item: ItemView;
  /** Points and feedback are shown (teachers always; students after results are released). */
  showGrades: boolean;
}

/** CLOSED is not stored: a published exam is closed once its window has ended. */
export function examStatus(exam: Exam, now = new Date()): 'GENERATING' | 'DRAFT' | 'PUBLISHED' | 'CLOSED' | 'FAILED' {
  if (exam.status === 'PUBLISHED' && exam.closesAt && exam.closesAt <= now) return 'CLOSED';
  return exam.status;
}
