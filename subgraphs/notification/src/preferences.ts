import { NOTIFICATION_KINDS, type NotificationKind } from '@ai-teacher/shared';

export interface Channels {
  inApp: boolean;
  email: boolean;
}

/**
 * What a user gets when they have not chosen: everything in the app; by email what needs action
 * or matters beyond the app (a book that failed, exams, results, enrollments, announcements), not
 * the routine "book ready".
 */
export const DEFAULT_PREFERENCES: Record<NotificationKind, Channels> = {
  BOOK_READY: { inApp: true, email: false },
  BOOK_FAILED: { inApp: true, email: true },
  EXAM_READY_FOR_REVIEW: { inApp: true, email: true },
  EXAM_PUBLISHED: { inApp: true, email: true },
  EXAM_RESULTS: { inApp: true, email: true },
  ENROLLED: { inApp: true, email: true },
  ANNOUNCEMENT: { inApp: true, email: true },
};

export const KINDS = NOTIFICATION_KINDS;
