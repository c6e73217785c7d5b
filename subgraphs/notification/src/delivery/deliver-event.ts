// The notify job: an event's recipients resolved from trusted data (named users, the course's
// enrolled students or teachers from academic), each user's preferences applied, one row per
// (event, user) stored in batches, new rows pushed live and email jobs queued. Idempotent: a job
// that runs again (a retry, a worker killed mid-way, the same event relayed twice) stores nothing
// twice and queues each email once (its job id is the notification id).
import type { CourseMembersClient } from '@ai-teacher/academic/contracts';
import type { DomainEvent, Producer } from '@ai-teacher/shared';
import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import type { SendEmailPayload } from '../contracts.ts';
import type { NotificationRepository } from '../repositories/notification.repository.ts';
import type { LiveFeed } from '../services/live-feed.ts';

export interface DeliveryDeps {
  notifications: NotificationRepository;
  members: CourseMembersClient;
  feed: LiveFeed;
  emails: Producer<SendEmailPayload>;
  batchSize: number;
  logger: Logger;
}

async function* recipients(event: DomainEvent, members: CourseMembersClient, batch: number): AsyncGenerator<string[]> {
  const named = event.audience.userIds ?? [];
  for (let i = 0; i < named.length; i += batch) yield named.slice(i, i + batch);
  if (event.courseId && event.audience.courseStudents) yield* members.batches(event.courseId, 'STUDENT', batch);
  if (event.courseId && event.audience.courseTeachers) yield* members.batches(event.courseId, 'TEACHER', batch);
}

export async function deliverEvent(job: Job<DomainEvent>, deps: DeliveryDeps): Promise<{ recipients: number; stored: number }> {
  const event = job.data;
  const seen = new Set<string>();
  let stored = 0;
  for await (const batch of recipients(event, deps.members, deps.batchSize)) {
    const fresh = batch.filter((u) => !seen.has(u));
    for (const u of fresh) seen.add(u);
    if (!fresh.length) continue;
    const channels = await deps.notifications.channelsFor(fresh, event.kind);
    const wanted = fresh.flatMap((userId) => {
      const c = channels.get(userId)!;
      return c.inApp || c.email ? [{ userId, channels: c }] : [];
    });
    const rows = await deps.notifications.storeBatch(event, wanted);
    stored += rows.filter((r) => r.inserted).length;
    // Live only for rows this run stored: a client that reconnects lists the rest.
    await Promise.all(
      rows
        .filter((r) => r.inserted && r.inApp)
        .map((r) => deps.feed.publish(r.userId, { id: r.id, kind: event.kind, title: event.title, body: event.body, courseId: event.courseId, readAt: null, createdAt: r.createdAt })),
    );
    const emails = rows.filter((r) => r.email);
    if (emails.length) await deps.emails.addBulk(emails.map((r) => ({ notificationId: r.id, ...(job.data.id ? { requestId: job.data.id } : {}) })));
    await job.updateProgress({ recipients: seen.size });
  }
  deps.logger.info({ eventId: event.id, kind: event.kind, recipients: seen.size, stored }, 'event delivered');
  return { recipients: seen.size, stored };
}
