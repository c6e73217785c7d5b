// What the notification subgraph consumes and offers: its email queue. Producers do not import
// anything from here: they write events to their own outbox (the kit's `notifyQueue`).
import { defineQueue, standardJobOptions } from '@ai-teacher/shared';

/** send-email: one notification by email; one job per notification. */
export interface SendEmailPayload {
  notificationId: string;
  requestId?: string;
}
export const sendEmailQueue = defineQueue<SendEmailPayload>('send-email', {
  // Temporary failures (4xx, connection errors) retry with backoff for about an hour; permanent
  // ones (5xx) are recorded and not retried.
  defaultJobOptions: { ...standardJobOptions, attempts: 8, backoff: { type: 'exponential', delay: 15_000 } },
  jobId: (p) => `email-${p.notificationId}`,
});
