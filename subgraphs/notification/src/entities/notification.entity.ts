import { NOTIFICATION_KINDS } from '@ai-teacher/shared';
import { defineEntity, p } from '@mikro-orm/postgresql';

export const EMAIL_STATUSES = ['PENDING', 'SENT', 'REJECTED', 'FAILED'] as const;

/** One event as one user receives it: stored once per (event, user). */
export const NotificationSchema = defineEntity({
  name: 'Notification',
  tableName: 'notifications',
  properties: {
    id: p.uuid().primary(),
    eventId: p.uuid(),
    userId: p.uuid(),
    kind: p.enum(NOTIFICATION_KINDS),
    title: p.text(),
    body: p.text(),
    courseId: p.uuid().nullable(),
    data: p.json<Record<string, string>>(),
    /** Shown in the feed and pushed live (the user's in-app preference when it was delivered). */
    inApp: p.boolean(),
    /** Sent by email (the user's email preference when it was delivered). */
    email: p.boolean(),
    emailStatus: p.enum(EMAIL_STATUSES).nullable(),
    emailError: p.text().nullable(),
    readAt: p.datetime().nullable(),
    createdAt: p.datetime(),
  },
});
export class Notification extends NotificationSchema.class {}
NotificationSchema.setClass(Notification);

export const PreferenceSchema = defineEntity({
  name: 'Preference',
  tableName: 'preferences',
  properties: {
    userId: p.uuid().primary(),
    kind: p.enum(NOTIFICATION_KINDS).primary(),
    inApp: p.boolean(),
    email: p.boolean(),
    updatedAt: p.datetime(),
  },
});
export class Preference extends PreferenceSchema.class {}
PreferenceSchema.setClass(Preference);
