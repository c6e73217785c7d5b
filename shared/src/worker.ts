import { createServer } from 'node:http';
import { type Job, type Processor, UnrecoverableError, Worker } from 'bullmq';
import { Counter, Histogram } from 'prom-client';
import { z } from 'zod';
import { type Env, loadConfig, zc } from './config.ts';
import { baseApp, listen, mountOps } from './http.ts';
import { createLogger, type Logger } from './logger.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { bullPrefix, type QueueDefinition } from './queues.ts';
import { createRedis, pingRedis, type Redis } from './redis.ts';
import { runInScope } from './request-context.ts';
import { type ConfigSchema, type CoreConfig, coreConfigSchema, openService, type ServiceDefinition } from './service.ts';

export { UnrecoverableError };

/** Workers verify no identity proofs: they never hold IDENTITY_SECRET (SERVICE_SECRET only if a job calls an internal route). */
export const workerConfigSchema = coreConfigSchema.extend({
  WORKERS_PORT: zc.port.default(4010),
  WORKER_CONCURRENCY: z.coerce.number().int().positive().default(2),
  /**
   * A running job's lock (renewed while it runs); a worker that dies holds it this long at most,
   * then the stalled-job check (every WORKER_STALLED_INTERVAL_MS) hands the job to another worker.
   */
  WORKER_LOCK_DURATION_MS: z.coerce.number().int().min(1_000).default(30_000),
  WORKER_STALLED_INTERVAL_MS: z.coerce.number().int().min(500).default(30_000),
  /** How often one job may stall (its worker died) before it fails; handlers are idempotent, so a few are safe. */
  WORKER_MAX_STALLED_COUNT: z.coerce.number().int().min(0).default(3),
});
export type WorkerConfig = z.infer<typeof workerConfigSchema>;

/** One queue's consumer, typed by the queue's payload; it gets the service's long-lived services. */
export interface JobHandler<Services> {
  queue: string;
  concurrency?: number | undefined;
  process(job: Job, services: Services, ctx: { logger: Logger }): Promise<unknown>;
}

/** Handlers must be idempotent: a job can run again after a crash or a retry. */
export function handle<Payload, Services>(
  queue: QueueDefinition<Payload>,
  process: (job: Job<Payload>, services: Services, ctx: { logger: Logger }) => Promise<unknown>,
  opts: { concurrency?: number } = {},
): JobHandler<Services> {
  return { queue: queue.name, concurrency: opts.concurrency, process };
}

interface OpenedWorker {
  handlers: { queue: string; concurrency: number | undefined; process: (job: Job, ctx: { logger: Logger }) => Promise<unknown> }[];
  close(): Promise<void>;
}

/** A service's queue consumers, started by `createWorkers` with the same setup as its subgraph. */
export interface WorkerDefinition {
  name: string;
  config: ConfigSchema;
  open(opts: { config: CoreConfig; logger: Logger; metrics: Metrics }): Promise<OpenedWorker>;
}

export function defineWorker<Schema extends ConfigSchema, Services>(service: ServiceDefinition<Schema, Services>, jobs: JobHandler<Services>[]): WorkerDefinition {
  return {
    name: service.name,
    config: service.config,
    async open({ config, logger, metrics }) {
      const opened = await openService(service, { name: `${service.name}-worker`, config: config as CoreConfig & z.infer<Schema>, logger, metrics });
      return {
        handlers: jobs.map((j) => ({ queue: j.queue, concurrency: j.concurrency, process: (job: Job, ctx: { logger: Logger }) => j.process(job, opened.services, ctx) })),
        close: opened.close,
      };
    },
  };
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
 * Settings (the kit's and every definition's) are parsed once for the process.
 */
export async function createWorkers(definitions: WorkerDefinition[], opts: { name?: string; env?: Env } = {}): Promise<RunningWorkers> {
  const name = opts.name ?? 'workers';
  const schema = definitions.reduce<z.ZodObject>((s, d) => s.extend(d.config.shape), workerConfigSchema);
  const config = loadConfig(schema, opts.env) as WorkerConfig;
  const logger = createLogger(name, config.LOG_LEVEL);
  const metrics: Metrics = createMetrics(name);
  const jobs = new Counter({ name: 'jobs_total', help: 'Jobs by queue and outcome', labelNames: ['queue', 'outcome'], registers: [metrics.registry] });
  const duration = new Histogram({ name: 'job_duration_seconds', help: 'Job run time', labelNames: ['queue'], registers: [metrics.registry], buckets: [0.1, 0.5, 1, 5, 15, 30, 60, 120, 300] });

  const opened: OpenedWorker[] = [];
  const connection: Redis = createRedis(config, 'worker');
  const probe: Redis = createRedis(config, 'client');
  const closeAll = async () => {
    for (const o of opened) await o.close().catch((err: unknown) => logger.error({ err }, 'closing a worker definition failed'));
    await connection.quit().catch(() => connection.disconnect());
    await probe.quit().catch(() => probe.disconnect());
  };
  try {
    for (const def of definitions) opened.push(await def.open({ config, logger, metrics }));
  } catch (err) {
    await closeAll();
    throw err;
  }

  const workers = opened.flatMap((o) =>
    o.handlers.map((h) => {
      const processor: Processor = async (job) =>
        runInScope({ requestId: String(job.data?.requestId ?? job.id), jobId: job.id }, async () => {
          const end = duration.startTimer({ queue: h.queue });
          try {
            return await h.process(job, { logger });
          } finally {
            end();
          }
        });
      const worker = new Worker(h.queue, processor, {
        connection,
        prefix: bullPrefix(config.REDIS_KEY_PREFIX),
        concurrency: h.concurrency ?? config.WORKER_CONCURRENCY,
        lockDuration: config.WORKER_LOCK_DURATION_MS,
        stalledInterval: config.WORKER_STALLED_INTERVAL_MS,
        maxStalledCount: config.WORKER_MAX_STALLED_COUNT,
      });
      worker.on('completed', (job) => {
        jobs.inc({ queue: h.queue, outcome: 'completed' });
        logger.info({ queue: h.queue, jobId: job.id }, 'job completed');
      });
      worker.on('failed', (job, err) => {
        jobs.inc({ queue: h.queue, outcome: 'failed' });
        logger.warn({ queue: h.queue, jobId: job?.id, attempt: job?.attemptsMade, err: err.message }, 'job failed');
      });
      worker.on('error', (err) => logger.error({ err, queue: h.queue }, 'worker error'));
      return worker;
    }),
  );

  let shuttingDown = false;
  const app = baseApp(config.TRUST_PROXY);
  mountOps(app, {
    metrics,
    isShuttingDown: () => shuttingDown,
    ready: async () => ({ redis: await pingRedis(probe), workers: workers.every((w) => !w.closing) }),
  });
  const server = createServer(app);
  const url = await listen(server, config.WORKERS_PORT, config.HOST);
  logger.info({ url, queues: workers.map((w) => w.name) }, 'workers ready');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      shuttingDown = true;
      // Lets running jobs finish; anything not finished in time is retried by another worker.
      await Promise.all(workers.map((w) => w.close()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await closeAll();
      logger.info('stopped');
    })());
  return { url, workers, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS, stop };
}
