import { type DefaultJobOptions, type Job, type JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { inSpan, SERVICE_ATTRIBUTE, SpanKind, traceMetadata } from './telemetry.ts';

/**
 * A queue's name, payload type, job id and default job options in one place, declared by the
 * subgraph that owns the work (in its contracts module) and imported by producers and consumers,
 * so they cannot disagree. Job ids are derived from the payload, which makes enqueueing
 * idempotent: the same work submitted twice is one job.
 */
export interface QueueDefinition<Payload> {
  name: string;
  defaultJobOptions: DefaultJobOptions;
  jobId(payload: Payload): string;
}

export function defineQueue<Payload>(name: string, options: { jobId(payload: Payload): string; defaultJobOptions?: DefaultJobOptions }): QueueDefinition<Payload> {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`queue name must be kebab-case: ${name}`);
  return { name, jobId: options.jobId, defaultJobOptions: options.defaultJobOptions ?? standardJobOptions };
}

/** Retries with exponential backoff; finished jobs are trimmed so Redis does not grow forever. */
export const standardJobOptions: DefaultJobOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 2_000 },
  removeOnComplete: { age: 24 * 3600, count: 1_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

export function messagingAttributes(queue: string, jobId: string | undefined) {
  return { 'messaging.system': 'bullmq', 'messaging.destination.name': queue, ...(jobId ? { 'messaging.message.id': jobId } : {}) };
}

/** BullMQ key prefix: the deployment's Redis prefix plus `bull`. */
export function bullPrefix(redisKeyPrefix: string): string {
  return `${redisKeyPrefix}bull`;
}

/** Enqueues jobs of one queue (services get theirs from `deps.producer(queue)`). */
export class Producer<Payload> {
  readonly queue: Queue;
  private readonly def: QueueDefinition<Payload>;
  /** The enqueueing process (on its spans). */
  private readonly service: string | undefined;
  constructor(def: QueueDefinition<Payload>, connection: Redis, redisKeyPrefix: string, service?: string) {
    this.def = def;
    this.service = service;
    this.queue = new Queue(def.name, { connection, prefix: bullPrefix(redisKeyPrefix), defaultJobOptions: def.defaultJobOptions });
  }

  /**
   * With tracing on, a PRODUCER span (`send <queue>`) whose context travels in the job's
   * `opts.telemetry.metadata` (BullMQ's field for it), so the worker's span continues the trace.
   */
  add(payload: Payload, opts: JobsOptions = {}) {
    const jobId = this.def.jobId(payload);
    return inSpan(`send ${this.def.name}`, { kind: SpanKind.PRODUCER, attributes: { ...(this.service ? { [SERVICE_ATTRIBUTE]: this.service } : {}), ...messagingAttributes(this.def.name, jobId) } }, () => {
      const metadata = traceMetadata();
      return this.queue.add(this.def.name, payload as object, { jobId, ...(metadata ? { telemetry: { metadata } } : {}), ...opts });
    });
  }

  /** Several jobs in one round trip, each under its payload's job id (each carrying the caller's trace, if any). */
  addBulk(payloads: Payload[]) {
    const metadata = traceMetadata();
    return this.queue.addBulk(payloads.map((p) => ({ name: this.def.name, data: p as object, opts: { jobId: this.def.jobId(p), ...(metadata ? { telemetry: { metadata } } : {}) } })));
  }

  /** The job this payload maps to, if the queue still has it. */
  async existing(payload: Payload): Promise<Job | undefined> {
    return this.queue.getJob(this.def.jobId(payload));
  }

  close() {
    return this.queue.close();
  }
}
