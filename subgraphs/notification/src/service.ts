import { CourseMembersClient, CourseScopeClient } from '@ai-teacher/academic/contracts';
import { UserDirectory } from '@ai-teacher/auth/contracts';
import { defineService, notifyQueue, OutboxRelay } from '@ai-teacher/shared';
import { join } from 'node:path';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { notificationConfigSchema } from './config.ts';
import { sendEmailQueue } from './contracts.ts';
import { ormDefinition } from './database.ts';
import { createMailer } from './email/mailer.ts';
import { notificationOutbox } from './repositories/notification.repository.ts';
import { LiveFeed } from './services/live-feed.ts';
import { UnsubscribeLinks } from './services/unsubscribe.ts';

/** Built once per process, for the subgraph and its workers alike. */
export const notificationService = defineService({
  name: 'notification',
  config: notificationConfigSchema,
  orm: ormDefinition,
  setup(deps) {
    const { config } = deps;
    const relay = new OutboxRelay({ outbox: notificationOutbox, orm: deps.orm, producer: deps.producer(notifyQueue), logger: deps.logger, intervalMs: config.OUTBOX_RELAY_INTERVAL_MS });
    relay.start();
    // Pub/sub needs connections of its own (a subscribed connection can do nothing else).
    const feed = new LiveFeed({ publisher: deps.dedicatedRedis(), subscriber: deps.dedicatedRedis(), channelPrefix: config.REDIS_KEY_PREFIX });
    const mailDir = join(config.DATA_DIR, 'mail');
    const mailer = createMailer({ smtpUrl: config.SMTP_URL, from: config.MAIL_FROM, mailDir });
    deps.onStop(async () => {
      await relay.stop();
      await feed.close().catch(() => undefined);
      await mailer.close();
    });
    deps.logger.info({ mail: config.SMTP_URL ? 'SMTP' : `files in ${mailDir} (no SMTP_URL)` }, 'notification email');
    return {
      config,
      orm: deps.orm,
      relay,
      feed,
      mailer,
      scope: new CourseScopeClient(deps.internal(config.ACADEMIC_INTERNAL_URL), deps.redis),
      members: new CourseMembersClient(deps.internal(config.ACADEMIC_INTERNAL_URL)),
      // Made by the worker (emails), checked by the subgraph: both hold the service key (workers hold
      // no identity key); the MAC's `unsubscribe:` prefix keeps it apart from service tokens.
      unsubscribe: new UnsubscribeLinks(deps.serviceSecret, config.UNSUBSCRIBE_BASE_URL),
      users: new UserDirectory(deps.internal(config.AUTH_INTERNAL_URL)),
      announceLimiter: new RateLimiterRedis({ storeClient: deps.redis, keyPrefix: 'announce', points: config.ANNOUNCE_PER_HOUR, duration: 3600 }),
      // Opened on first use: a subgraph process that never queues an email opens no queue connection.
      emails: () => deps.producer(sendEmailQueue),
    };
  },
});
export type NotificationServices = Awaited<ReturnType<typeof notificationService.setup>>;
