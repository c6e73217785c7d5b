// The transactional outbox against real Postgres and Redis (BullMQ): an event commits or rolls back
// with its change, a process that dies before relaying loses nothing, and relaying twice (or from
// two processes at once) puts each event on the queue once.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Migration } from '@mikro-orm/migrations';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { bullPrefix, createOrm, type DomainEvent, migrate, type MikroORM, type NewEvent, notifyQueue, Outbox, OutboxRelay, outboxTableSql, Producer } from '../src/index.ts';
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis } from '../src/testing/index.ts';

class OutboxMigration extends Migration {
  override up(): void {
    this.addSql(`create table "outbox_test"."things" ("id" int primary key)`);
    for (const sql of outboxTableSql('outbox_test')) this.addSql(sql);
  }
}

const event = (n: number): NewEvent => ({ kind: 'ANNOUNCEMENT', courseId: null, title: `event ${n}`, body: 'body', audience: { userIds: [] }, data: { n: String(n) } });

let db: TestDatabase;
let redis: TestRedis;
let orm: MikroORM;
let connection: Redis;
let producer: Producer<DomainEvent>;
let queue: Queue;
const outbox = new Outbox('outbox_test', 'test');

beforeAll(async () => {
  db = await createTestDatabase();
  redis = await createTestRedis();
  const config = { DATABASE_URL: db.url, DB_POOL_MAX: 4, DB_DEBUG: false };
  orm = await createOrm({ schema: 'outbox_test', entities: [], migrations: [{ name: 'OutboxMigration', class: OutboxMigration }] }, config);
  await migrate(orm, 'outbox_test', db.url);
  connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  producer = new Producer(notifyQueue, connection, redis.prefix);
  queue = new Queue(notifyQueue.name, { connection, prefix: bullPrefix(redis.prefix) });
});

afterAll(async () => {
  await producer.close();
  await queue.close();
  connection.disconnect();
  await orm.close();
  await db.drop();
  await redis.cleanup();
});

const jobs = async () => (await queue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed'])).map((j) => j.data as { title: string });

describe('outbox', () => {
  it('keeps an event only when its change commits', async () => {
    await orm.em.fork().transactional(async (tx) => {
      await tx.execute(`insert into outbox_test.things (id) values (1)`, [], 'run');
      await outbox.add(tx, [event(1)]);
    });
    await expect(
      orm.em.fork().transactional(async (tx) => {
        await tx.execute(`insert into outbox_test.things (id) values (2)`, [], 'run');
        await outbox.add(tx, [event(2)]);
        throw new Error('the change fails after the event was written');
      }),
    ).rejects.toThrow('the change fails');
    expect(await outbox.pending(orm)).toBe(1);
  });

  it('relays what a dead process left behind, once, however often and from however many relays it runs', async () => {
    // The process that committed event 1 "died" before relaying it: a relay started later finds it.
    const relays = [1, 2, 3].map(() => new OutboxRelay({ outbox, orm, producer, logger: pino({ level: 'silent' }), intervalMs: 60_000 }));
    await orm.em.fork().transactional((tx) => outbox.add(tx, [event(3), event(4)]));
    for (const r of relays) r.kick();
    await Promise.all(relays.map((r) => r.idle()));
    expect(await outbox.pending(orm)).toBe(0);
    // A crash after enqueueing and before marking rows relayed: the rows are relayed again.
    await orm.em.getConnection().execute(`update outbox_test.outbox set relayed_at = null`, [], 'run');
    expect(await outbox.relay(orm, producer)).toBe(3);
    const titles = (await jobs()).map((j) => j.title).sort();
    expect(titles).toEqual(['event 1', 'event 3', 'event 4']);
    await Promise.all(relays.map((r) => r.stop()));
  });

  it('carries the event id as the job id and what the producer said', async () => {
    const [stored] = await orm.em.fork().transactional((tx) => outbox.add(tx, [event(5)]));
    await outbox.relay(orm, producer);
    const job = await queue.getJob(notifyQueue.jobId(stored!));
    expect(job?.data).toMatchObject({ id: stored!.id, kind: 'ANNOUNCEMENT', title: 'event 5', producer: 'test' });
  });
});
