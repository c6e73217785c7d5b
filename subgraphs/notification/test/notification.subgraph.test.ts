// The notification subgraph in process, against a real Postgres and Redis: `_entities` for its
// @key (a user resolves only their own notifications), delivery of one event stored once per user
// however often it runs, the live feed ending when a subscriber leaves, and the one-click
// unsubscribe link (genuine links work, forged ones change nothing, GET alone changes nothing).
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createSubgraph, type DomainEvent, type Env, type Identity, type RunningSubgraph } from '@ai-teacher/shared';
import { createTestDatabase, createTestRedis, freePort, type InProcessSubgraph, openSubgraphInProcess, tempDir, type TestDatabase, type TestRedis } from '@ai-teacher/shared/testing';
import type { Job } from 'bullmq';
import type { NotificationConfig } from '../src/config.ts';
import { deliverEvent } from '../src/delivery/deliver-event.ts';
import { NotificationRepository } from '../src/repositories/notification.repository.ts';
import type { NotificationServices } from '../src/service.ts';
import { notificationSubgraph } from '../src/subgraph.ts';

const dataDir = tempDir();
let db: TestDatabase;
let redis: TestRedis;
let subgraph: InProcessSubgraph<NotificationConfig, NotificationServices>;
let http: RunningSubgraph;
const alice: Identity = { userId: randomUUID(), role: 'STUDENT' };
const bob: Identity = { userId: randomUUID(), role: 'STUDENT' };

const run = (query: string, variables: Record<string, unknown>, identity: Identity | null) => subgraph.run(query, variables, identity);

const event = (over: Partial<DomainEvent> = {}): DomainEvent => ({
  id: randomUUID(),
  kind: 'ANNOUNCEMENT',
  courseId: null,
  title: 'Room change',
  body: 'Lab 2 moves to room 101.',
  audience: { userIds: [alice.userId, bob.userId] },
  data: {},
  occurredAt: new Date().toISOString(),
  producer: 'test',
  ...over,
});

/** Runs the notify job's handler as the worker does (no course audience here: no academic needed). */
function deliver(e: DomainEvent) {
  const job = { data: e, updateProgress: async () => undefined } as unknown as Job<DomainEvent>;
  return deliverEvent(job, { notifications: new NotificationRepository(subgraph.opened.deps.orm.em.fork()), members: subgraph.opened.services.members, feed: subgraph.opened.services.feed, emails: subgraph.opened.services.emails(), batchSize: 1, logger: subgraph.logger });
}

beforeAll(async () => {
  db = await createTestDatabase();
  redis = await createTestRedis();
  const port = await freePort();
  const env: Env = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATA_DIR: dataDir.path,
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: redis.prefix,
    IDENTITY_SECRET: randomBytes(32).toString('hex'),
    MIGRATE_ON_START: 'true',
    UNSUBSCRIBE_BASE_URL: `http://127.0.0.1:${port}`,
  };
  subgraph = await openSubgraphInProcess(notificationSubgraph, env);
  http = await createSubgraph(notificationSubgraph, { ...env, PORT: String(port) });
});

afterAll(async () => {
  await http?.stop();
  await subgraph?.stop();
  await db?.drop();
  await redis?.cleanup();
  dataDir.remove();
});

describe('delivery', () => {
  it('stores an event once per user however often it is delivered (retries, re-delivery)', async () => {
    const e = event();
    expect(await deliver(e)).toEqual({ recipients: 2, stored: 2 });
    expect(await deliver(e)).toEqual({ recipients: 2, stored: 0 });
    const feed = await run(`{ myNotifications { edges { node { id title } } unreadCount } }`, {}, alice);
    expect(feed.data!.myNotifications).toMatchObject({ unreadCount: 1, edges: [{ node: { title: 'Room change' } }] });
  });

  it('pushes new notifications to their user only, and a subscriber that leaves is let go at once', async () => {
    const aliceFeed = await subgraph.opened.services.feed.iterator(alice.userId);
    const bobFeed = await subgraph.opened.services.feed.iterator(bob.userId);
    const next = aliceFeed.next();
    await deliver(event({ title: 'Only for Alice', audience: { userIds: [alice.userId] } }));
    expect((await next).value).toMatchObject({ title: 'Only for Alice', kind: 'ANNOUNCEMENT' });
    const bobNext = bobFeed.next();
    // Leaving ends a pending read at once (no event needed).
    await bobFeed.return!();
    expect(await bobNext).toEqual({ value: undefined, done: true });
    await aliceFeed.return!();
  });
});

describe('_entities', () => {
  it('Notification: the owner only; anyone else gets null', async () => {
    const [mine] = (await new NotificationRepository(subgraph.opened.deps.orm.em.fork()).feed(alice.userId, 1, null, false))!;
    const q = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Notification { id title kind } } }`;
    const r = [{ __typename: 'Notification', id: mine!.id }];
    expect((await run(q, { r }, alice)).data!._entities).toEqual([{ id: mine!.id, title: mine!.title, kind: 'ANNOUNCEMENT' }]);
    expect((await run(q, { r }, bob)).data!._entities).toEqual([null]);
  });
});

describe('one-click unsubscribe', () => {
  it('a genuine link turns that kind of email off on POST; GET only asks; a forged link changes nothing', async () => {
    const url = subgraph.opened.services.unsubscribe.url(alice.userId, 'ANNOUNCEMENT');
    const prefs = async (who: Identity) => (await run(`{ myNotificationPreferences { kind inApp email } }`, {}, who)).data!.myNotificationPreferences;
    expect((await fetch(url)).status).toBe(200);
    expect(await prefs(alice)).toContainEqual({ kind: 'ANNOUNCEMENT', inApp: true, email: true });
    const forged = url.replace(alice.userId, bob.userId);
    expect((await fetch(forged, { method: 'POST' })).status).toBe(400);
    expect((await fetch(url.replace('ANNOUNCEMENT', 'EXAM_RESULTS'), { method: 'POST' })).status).toBe(400);
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(res.status).toBe(200);
    expect(await prefs(alice)).toContainEqual({ kind: 'ANNOUNCEMENT', inApp: true, email: false });
    expect(await prefs(bob)).toContainEqual({ kind: 'ANNOUNCEMENT', inApp: true, email: true });
  });
});
