import { createServer } from 'node:http';
import { type Job, type JobType, type Processor, Queue, UnrecoverableError, Worker } from 'bullmq';
import { Counter, Gauge, Histogram } from 'prom-client';
import { z } from 'zod';
import { type Env, loadConfig, zc } from './config.ts';
import { baseApp, listen, mountOps } from './http.ts';
import { createLogger, type Logger } from './logger.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { bullPrefix, messagingAttributes, type QueueDefinition } from './queues.ts';
import { createRedis, pingRedis, type Redis } from './redis.ts';
import { runInScope } from './request-context.ts';
import { type ConfigSchema, type CoreConfig, coreConfigSchema, openService, type ServiceDefinition } from './service.ts';
import { contextFromMetadata, inSpan, SERVICE_ATTRIBUTE, SpanKind } from './telemetry.ts';

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
  const jobs = new Counter({
    name: 'jobs_total',
    help: 'Job attempts by queue and outcome: completed, retrying (failed, will run again) or failed (no attempts left, or unrecoverable)',
    labelNames: ['queue', 'outcome'],
    registers: [metrics.registry],
  });
  const duration = new Histogram({ name: 'job_duration_seconds', help: 'Job run time (each attempt)', labelNames: ['queue'], registers: [metrics.registry], buckets: [0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600] });

  const opened: OpenedWorker[] = [];
  const connection: Redis = createRedis(config, 'worker');
  const probe: Redis = createRedis(config, 'client');
  // Queue depth is read from Redis when Prometheus scrapes, on a connection that never blocks.
  const countsConnection: Redis = createRedis(config, 'queue');
  metrics.watchRedis('worker', connection);
  metrics.watchRedis('client', probe, { ping: true });
  metrics.watchRedis('queue', countsConnection);
  const queues: Queue[] = [];
  const closeAll = async () => {
    await Promise.all(queues.map((q) => q.close().catch(() => undefined)));
    for (const o of opened) await o.close().catch((err: unknown) => logger.error({ err }, 'closing a worker definition failed'));
    await connection.quit().catch(() => connection.disconnect());
    await probe.quit().catch(() => probe.disconnect());
    await countsConnection.quit().catch(() => countsConnection.disconnect());
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
        runInScope({ requestId: String(job.data?.requestId ?? job.id), jobId: job.id }, () =>
          // A CONSUMER span per attempt, in the trace of the request that enqueued the job.
          inSpan(
            `process ${h.queue}`,
            { kind: SpanKind.CONSUMER, attributes: { [SERVICE_ATTRIBUTE]: name, ...messagingAttributes(h.queue, job.id), 'messaging.bullmq.attempt': job.attemptsMade + 1 } },
            async () => {
              const end = duration.startTimer({ queue: h.queue });
              try {
                return await h.process(job, { logger });
              } finally {
                end();
              }
            },
            contextFromMetadata(job.opts.telemetry?.metadata),
          ),
        );
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
        jobs.inc({ queue: h.queue, outcome: isFinalFailure(job, err) ? 'failed' : 'retrying' });
        logger.warn({ queue: h.queue, jobId: job?.id, attempt: job?.attemptsMade, err: err.message }, 'job failed');
      });
      worker.on('error', (err) => logger.error({ err, queue: h.queue }, 'worker error'));
      return worker;
    }),
  );

  const queueNames = [...new Set(workers.map((w) => w.name))];
  for (const queue of queueNames) {
    // Every queue's series exist from the start (rates and ratios work before the first job).
    for (const outcome of ['completed', 'retrying', 'failed']) jobs.inc({ queue, outcome }, 0);
    duration.zero({ queue });
    queues.push(new Queue(queue, { connection: countsConnection, prefix: bullPrefix(config.REDIS_KEY_PREFIX) }));
  }
  new Gauge({
    name: 'queue_jobs',
    help: 'Jobs in each queue by state, read from Redis at scrape time (all workers of a queue see the same counts)',
    labelNames: ['queue', 'state'],
    registers: [metrics.registry],
    async collect() {
      const counts = await Promise.all(queues.map((q) => q.getJobCounts(...QUEUE_STATES).catch(() => undefined)));
      this.reset();
      queues.forEach((q, i) => {
        const c = counts[i];
        if (c) for (const state of QUEUE_STATES) this.set({ queue: q.name, state }, c[state] ?? 0);
      });
    },
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

const QUEUE_STATES: JobType[] = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed', 'completed'];

/** A failed attempt is final when the job has no attempts left or its input cannot be retried. */
function isFinalFailure(job: Job | undefined, err: Error): boolean {
  if (!job || err instanceof UnrecoverableError || err.name === 'UnrecoverableError') return true;
  return job.attemptsMade >= (job.opts.attempts ?? 1);
}
