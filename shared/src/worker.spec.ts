import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Job, QueueEvents } from 'bullmq';
import { bullPrefix, defineQueue, Producer } from './queues.ts';
import { createRedis, type Redis } from './redis.ts';
import { createTestRedis, type TestRedis, uniqueName } from './testing/index.ts';
import { createWorkers, type RunningWorkers, UnrecoverableError } from './worker.ts';

let t: TestRedis;
let running: RunningWorkers;
let producer: Producer<{ id: string; fail?: 'unrecoverable' | 'once' }>;
let producerConn: Redis;
let events: QueueEvents;
let eventsConn: Redis;
const seen: string[] = [];
const attempts = new Map<string, number>();

const queue = defineQueue<{ id: string; fail?: 'unrecoverable' | 'once' }>({
  name: uniqueName('test-queue').replace(/_/g, '-').toLowerCase(),
  defaultJobOptions: { attempts: 3, backoff: { type: 'fixed', delay: 50 } },
  jobId: (p) => `job-${p.id}`,
});

beforeAll(async () => {
  t = await createTestRedis();
  const env = { REDIS_URL: t.url, REDIS_KEY_PREFIX: t.prefix, WORKERS_PORT: '0', LOG_LEVEL: 'silent' };
  running = await createWorkers(
    [
      {
        queue,
        process: async (job: Job<{ id: string; fail?: 'unrecoverable' | 'once' }>) => {
          const n = (attempts.get(job.data.id) ?? 0) + 1;
          attempts.set(job.data.id, n);
          if (job.data.fail === 'unrecoverable') throw new UnrecoverableError('bad input');
          if (job.data.fail === 'once' && n === 1) throw new Error('transient');
          seen.push(job.data.id);
          return { ok: true };
        },
      },
    ] as never,
    { env },
  );
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
});

describe('createWorkers', () => {
  it('processes a job, and the same payload enqueued twice is one job', async () => {
    const a = await producer.add({ id: 'a' });
    const b = await producer.add({ id: 'a' });
    expect(b.id).toBe(a.id);
    await a.waitUntilFinished(events, 10_000);
    expect(seen.filter((x) => x === 'a')).toHaveLength(1);
  });

  it('retries a transient failure', async () => {
    const job = await producer.add({ id: 'b', fail: 'once' });
    expect(await job.waitUntilFinished(events, 10_000)).toEqual({ ok: true });
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
});
