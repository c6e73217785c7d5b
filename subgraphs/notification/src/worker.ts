import { defineWorker, handle, notifyQueue } from '@ai-teacher/shared';
import { sendEmailQueue } from './contracts.ts';
import { deliverEvent } from './delivery/deliver-event.ts';
import { sendEmail } from './delivery/send-email.ts';
import { NotificationRepository } from './repositories/notification.repository.ts';
import { notificationService } from './service.ts';

/** Delivery: every producer's events (notify) fanned out to their recipients, then emails. */
export default defineWorker(notificationService, [
  handle(
    notifyQueue,
    (job, s, ctx) =>
      deliverEvent(job, { notifications: new NotificationRepository(s.orm.em.fork()), members: s.members, feed: s.feed, emails: s.emails(), batchSize: s.config.NOTIFY_BATCH_SIZE, logger: ctx.logger }),
    { concurrency: 2 },
  ),
  handle(
    sendEmailQueue,
    (job, s, ctx) => sendEmail(job, { notifications: new NotificationRepository(s.orm.em.fork()), users: s.users, mailer: s.mailer, unsubscribe: s.unsubscribe, appName: 'AI Teacher', appUrl: s.config.APP_URL, logger: ctx.logger }),
    { concurrency: 5 },
  ),
]);
