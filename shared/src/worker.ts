import { createServer } from 'node:http';
import { type Job, type Processor, UnrecoverableError, Worker } from 'bullmq';
import { Counter, Histogram } from 'prom-client';
import { z } from 'zod';
import { baseSchema, databaseSchema, type Env, httpSchema, loadConfig, redisSchema, zc } from './config.ts';
import { baseApp, listen, mountOps } from './http.ts';
import { createLogger, type Logger } from './logger.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import type { QueueDefinition } from './queues.ts';
import { bullPrefix } from './queues.ts';
import { createRedis, pingRedis, type Redis } from './redis.ts';
import { runInScope } from './request-context.ts';

export { UnrecoverableError };

export const workerConfigSchema = baseSchema
  .extend(httpSchema.shape)
  .extend(databaseSchema.shape)
  .extend(redisSchema.shape)
  .extend({
    WORKERS_PORT: zc.port.default(4010),
    WORKER_CONCURRENCY: z.coerce.number().int().positive().default(2),
  });
export type WorkerConfig = z.infer<typeof workerConfigSchema>;

export interface WorkerDefinition<Payload> {
  queue: QueueDefinition<Payload>;
  /** Handlers must be idempotent: a job can run again after a crash or a retry. */
  process: (job: Job<Payload>, ctx: { logger: Logger }) => Promise<unknown>;
  concurrency?: number;
  /** Releases what the definition opened (database, clients) after its worker has stopped. */
  close?: () => Promise<void>;
}

export interface RunningWorkers {
  url: string;
  workers: Worker[];
  shutdownTimeoutMs: number;
  stop(): Promise<void>;
}

/**
 * Starts BullMQ workers for the given definitions with their own blocking Redis connection, job
 * metrics and logs that carry the job id, plus `/health`, `/ready` and `/metrics` on WORKERS_PORT.
 */
export async function createWorkers(
  definitions: WorkerDefinition<never>[],
  opts: { name?: string; env?: Env } = {},
): Promise<RunningWorkers> {
  const name = opts.name ?? 'workers';
  const config = loadConfig(workerConfigSchema, opts.env);
  const logger = createLogger(name, config.LOG_LEVEL);
  const metrics: Metrics = createMetrics(name);
  const connection: Redis = createRedis(config, 'worker');
  const probe: Redis = createRedis(config, 'client');
  const jobs = new Counter({ name: 'jobs_total', help: 'Jobs by queue and outcome', labelNames: ['queue', 'outcome'], registers: [metrics.registry] });
  const duration = new Histogram({ name: 'job_duration_seconds', help: 'Job run time', labelNames: ['queue'], registers: [metrics.registry], buckets: [0.1, 0.5, 1, 5, 15, 30, 60, 120, 300] });

  const workers = definitions.map((def) => {
    const processor: Processor = async (job) =>
      runInScope({ requestId: String(job.data?.requestId ?? job.id), jobId: job.id }, async () => {
        const end = duration.startTimer({ queue: def.queue.name });
        try {
          return await def.process(job as Job<never>, { logger });
        } finally {
          end();
        }
      });
    const worker = new Worker(def.queue.name, processor, {
      connection,
      prefix: bullPrefix(config.REDIS_KEY_PREFIX),
      concurrency: def.concurrency ?? config.WORKER_CONCURRENCY,
    });
    worker.on('completed', (job) => {
      jobs.inc({ queue: def.queue.name, outcome: 'completed' });
      logger.info({ queue: def.queue.name, jobId: job.id }, 'job completed');
    });
    worker.on('failed', (job, err) => {
      jobs.inc({ queue: def.queue.name, outcome: 'failed' });
      logger.warn({ queue: def.queue.name, jobId: job?.id, attempt: job?.attemptsMade, err: err.message }, 'job failed');
    });
    worker.on('error', (err) => logger.error({ err, queue: def.queue.name }, 'worker error'));
    return worker;
  });

  let shuttingDown = false;
  const app = baseApp(config.TRUST_PROXY);
  mountOps(app, {
    metrics,
    isShuttingDown: () => shuttingDown,
    ready: async () => ({ redis: await pingRedis(probe), workers: workers.every((w) => !w.closing) }),
  });
  const server = createServer(app);
  const url = await listen(server, config.WORKERS_PORT, config.HOST);
  logger.info({ url, queues: definitions.map((d) => d.queue.name) }, 'workers ready');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      shuttingDown = true;
      // Lets running jobs finish; anything not finished in time is retried by another worker.
      await Promise.all(workers.map((w) => w.close()));
      await Promise.all(definitions.map((d) => d.close?.()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await connection.quit().catch(() => connection.disconnect());
      await probe.quit().catch(() => probe.disconnect());
      logger.info('stopped');
    })());
  return { url, workers, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS, stop };
}
