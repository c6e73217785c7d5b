import { z } from 'zod';

export const notificationConfigSchema = z.object({
  /** Academic's internal API (who is enrolled in or teaches a course). */
  ACADEMIC_INTERNAL_URL: z.url().default('http://127.0.0.1:4002'),
  /** Auth's internal API (recipients' email addresses). */
  AUTH_INTERNAL_URL: z.url().default('http://127.0.0.1:4001'),
  /** SMTP server (smtp:// or smtps://, credentials in the URL). Unset: mails are written as .eml files under DATA_DIR/mail. */
  SMTP_URL: z.url().optional(),
  MAIL_FROM: z.string().min(3).default('AI Teacher <no-reply@localhost>'),
  /** Where links in emails point (the web app). */
  APP_URL: z.url().default('http://localhost:4000'),
  /** Where this subgraph's /unsubscribe is reachable from mail clients (the links in emails). */
  UNSUBSCRIBE_BASE_URL: z.url().default('http://127.0.0.1:4006'),
  /** Longest announcement title and body (characters). */
  ANNOUNCE_TITLE_MAX: z.coerce.number().int().positive().default(200),
  ANNOUNCE_BODY_MAX: z.coerce.number().int().positive().default(5_000),
  /** Announcements one sender may make per hour (all courses together). */
  ANNOUNCE_PER_HOUR: z.coerce.number().int().positive().default(10),
  /** Recipients stored per statement when an event fans out. */
  NOTIFY_BATCH_SIZE: z.coerce.number().int().min(10).max(5_000).default(500),
  OUTBOX_RELAY_INTERVAL_MS: z.coerce.number().int().min(100).default(5_000),
});
export type NotificationConfig = z.infer<typeof notificationConfigSchema>;
