// The send-email job: one notification by email. Sent at most once (a notification already SENT or
// REJECTED is skipped); temporary failures (4xx, connection errors) are retried by BullMQ with
// backoff and recorded as FAILED after the last attempt; permanent ones (5xx) are recorded and
// not retried.
import type { UserDirectory } from '@ai-teacher/auth/contracts';
import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import type { SendEmailPayload } from '../contracts.ts';
import { type Mailer, TemporaryMailError } from '../email/mailer.ts';
import { renderEmail } from '../email/templates.ts';
import type { NotificationRepository } from '../repositories/notification.repository.ts';
import type { UnsubscribeLinks } from '../services/unsubscribe.ts';

export interface SendEmailDeps {
  notifications: NotificationRepository;
  users: UserDirectory;
  mailer: Mailer;
  unsubscribe: UnsubscribeLinks;
  appName: string;
  appUrl: string;
  logger: Logger;
}

export async function sendEmail(job: Job<SendEmailPayload>, deps: SendEmailDeps): Promise<{ status: string }> {
  const n = await deps.notifications.notification(job.data.notificationId);
  if (!n || !n.email) return { status: 'NOT_FOR_EMAIL' };
  if (n.emailStatus === 'SENT' || n.emailStatus === 'REJECTED') return { status: n.emailStatus };
  const [user] = await deps.users.lookup({ ids: [n.userId] });
  if (!user) {
    await deps.notifications.setEmailOutcome(n.id, 'REJECTED', 'the user no longer exists');
    return { status: 'REJECTED' };
  }
  const unsubscribeUrl = deps.unsubscribe.url(n.userId, n.kind);
  const mail = renderEmail({ kind: n.kind, title: n.title, body: n.body, courseLabel: null }, { email: user.email, displayName: user.displayName }, { appName: deps.appName, appUrl: deps.appUrl, unsubscribeUrl });
  try {
    const outcome = await deps.mailer.send({ ...mail, to: user.email, unsubscribeUrl, id: n.id });
    if (outcome.status === 'SENT') {
      await deps.notifications.setEmailOutcome(n.id, 'SENT', null);
      return { status: 'SENT' };
    }
    deps.logger.warn({ notificationId: n.id, error: outcome.error }, 'email rejected by the mail server; not retried');
    await deps.notifications.setEmailOutcome(n.id, 'REJECTED', outcome.error);
    return { status: 'REJECTED' };
  } catch (err) {
    const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (last) await deps.notifications.setEmailOutcome(n.id, 'FAILED', err instanceof Error ? err.message : String(err));
    if (err instanceof TemporaryMailError) deps.logger.warn({ notificationId: n.id, err: err.message, attempt: job.attemptsMade + 1 }, 'email temporarily failed; will retry');
    throw err;
  }
}
