import type { NotificationKind } from '@ai-teacher/shared';
import type { Notification } from '../entities/notification.entity.ts';

/** What resolvers and the live feed carry: a notification as its user sees it. */
export interface NotificationView {
  id: string;
  kind: NotificationKind;
  title: string;
  body: string;
  courseId: string | null;
  readAt: Date | null;
  createdAt: Date;
}

export function viewOf(n: Notification): NotificationView {
  return { id: n.id, kind: n.kind, title: n.title, body: n.body, courseId: n.courseId ?? null, readAt: n.readAt ?? null, createdAt: n.createdAt };
}
