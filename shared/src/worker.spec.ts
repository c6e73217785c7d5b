import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { QueueEvents } from 'bullmq';
import { z } from 'zod';
import { bullPrefix, defineQueue, Producer } from './queues.ts';
import { createRedis, type Redis } from './redis.ts';
import { defineService } from './service.ts';
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis, uniqueName } from './testing/index.ts';
import { createWorkers, defineWorker, handle, type RunningWorkers, UnrecoverableError } from './worker.ts';

interface Payload {
  id: string;
  fail?: 'unrecoverable' | 'once';
}

let db: TestDatabase;
let t: TestRedis;
let running: RunningWorkers;
let producer: Producer<Payload>;
let producerConn: Redis;
let events: QueueEvents;
let eventsConn: Redis;
const seen: string[] = [];
const attempts = new Map<string, number>();
let closed = 0;

const queue = defineQueue<Payload>(uniqueName('test-queue').replace(/_/g, '-').toLowerCase(), {
  defaultJobOptions: { attempts: 3, backoff: { type: 'fixed', delay: 50 } },
  jobId: (p) => `job-${p.id}`,
});

// A service whose setup runs once and whose settings include one of its own.
const service = defineService({
  name: 'demo',
  config: z.object({ DEMO_GREETING: z.string().default('hello') }),
  orm: { schema: 'demo', entities: [], migrations: [] },
  setup(deps) {
    deps.onStop(() => void closed++);
    return { greeting: deps.config.DEMO_GREETING, record: (id: string) => seen.push(id) };
  },
});

beforeAll(async () => {
  db = await createTestDatabase();
  t = await createTestRedis();
  const env = { DATABASE_URL: db.url, REDIS_URL: t.url, REDIS_KEY_PREFIX: t.prefix, WORKERS_PORT: '0', LOG_LEVEL: 'silent', DEMO_GREETING: 'hi' };
  const worker = defineWorker(service, [
    handle(queue, async (job, s) => {
      const n = (attempts.get(job.data.id) ?? 0) + 1;
      attempts.set(job.data.id, n);
      if (job.data.fail === 'unrecoverable') throw new UnrecoverableError('bad input');
      if (job.data.fail === 'once' && n === 1) throw new Error('transient');
      s.record(job.data.id);
      return { ok: true, greeting: s.greeting };
    }),
  ]);
  running = await createWorkers([worker], { env });
  producerConn = createRedis({ REDIS_URL: t.url, REDIS_KEY_PREFIX: t.prefix }, 'queue');
  producer = new Producer(queue, producerConn, t.prefix);
  eventsConn = createRedis({ REDIS_URL: t.url, REDIS_KEY_PREFIX: t.prefix }, 'worker');
  events = new QueueEvents(queue.name, { connection: eventsConn, prefix: bullPrefix(t.prefix) });
  await events.waitUntilReady();
});
afterAll(async () => {
  await events.close();
  eventsConn.disconnect();
  await producer.close();
  producerConn.disconnect();
  await running.stop();
  await t.cleanup();
  await db.drop();
});

describe('createWorkers', () => {
  it('processes a job with the service’s settings, and the same payload enqueued twice is one job', async () => {
    const a = await producer.add({ id: 'a' });
    const b = await producer.add({ id: 'a' });
    expect(b.id).toBe(a.id);
    expect(await a.waitUntilFinished(events, 10_000)).toEqual({ ok: true, greeting: 'hi' });
    expect(seen.filter((x) => x === 'a')).toHaveLength(1);
    expect(await producer.existing({ id: 'a' })).toMatchObject({ id: a.id });
  });

  it('retries a transient failure', async () => {
    const job = await producer.add({ id: 'b', fail: 'once' });
    expect(await job.waitUntilFinished(events, 10_000)).toEqual({ ok: true, greeting: 'hi' });
    expect(attempts.get('b')).toBe(2);
  });

  it('does not retry an UnrecoverableError', async () => {
    const job = await producer.add({ id: 'c', fail: 'unrecoverable' });
    await expect(job.waitUntilFinished(events, 10_000)).rejects.toThrow('bad input');
    expect(attempts.get('c')).toBe(1);
  });

  it('serves readiness and job metrics', async () => {
    expect((await fetch(`${running.url}/ready`)).status).toBe(200);
    const metrics = await (await fetch(`${running.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`jobs_total\\{[^}]*queue="${queue.name}"[^}]*outcome="completed"`));
  });

  it('runs the service’s stop hooks once at shutdown', async () => {
    expect(closed).toBe(0);
    await running.stop();
    expect(closed).toBe(1);
    await running.stop(); // idempotent
    expect(closed).toBe(1);
  });
});

describe('the keys a worker process loads', () => {
  const production = () => ({ NODE_ENV: 'production', DATABASE_URL: db.url, REDIS_URL: t.url, REDIS_KEY_PREFIX: t.prefix, WORKERS_PORT: '0', LOG_LEVEL: 'silent', IDENTITY_SECRET: '', SERVICE_SECRET: '' });
  const withClient = defineService({
    name: 'caller',
    config: z.object({}),
    orm: { schema: 'caller', entities: [], migrations: [] },
    setup: (deps) => ({ client: deps.internal('http://127.0.0.1:9') }),
  });

  it('never IDENTITY_SECRET; SERVICE_SECRET only when its service calls internal routes', async () => {
    // Production with neither key: a worker whose jobs call no internal route starts.
    const plain = await createWorkers([defineWorker(service, [])], { env: production() });
    expect((await fetch(`${plain.url}/ready`)).status).toBe(200);
    await plain.stop();
    await expect(createWorkers([defineWorker(withClient, [])], { env: production() })).rejects.toThrow(/SERVICE_SECRET: required in production/);
    const caller = await createWorkers([defineWorker(withClient, [])], { env: { ...production(), SERVICE_SECRET: 'k'.repeat(32) } });
    expect((await fetch(`${caller.url}/ready`)).status).toBe(200);
    await caller.stop();
  });
});
