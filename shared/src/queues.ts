import { Queue, type DefaultJobOptions, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';

/**
 * A queue's name, payload type and default job options in one place, so producers and workers
 * cannot disagree. Job ids are derived from the payload (`jobId`), which makes enqueueing
 * idempotent: the same work submitted twice is one job.
 */
export interface QueueDefinition<Payload> {
  name: string;
  defaultJobOptions: DefaultJobOptions;
  jobId(payload: Payload): string;
}

export function defineQueue<Payload>(def: QueueDefinition<Payload>): QueueDefinition<Payload> {
  if (!/^[a-z][a-z0-9-]*$/.test(def.name)) throw new Error(`queue name must be kebab-case: ${def.name}`);
  return def;
}

/** Retries with exponential backoff; finished jobs are trimmed so Redis does not grow forever. */
export const standardJobOptions: DefaultJobOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 2_000 },
  removeOnComplete: { age: 24 * 3600, count: 1_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/** BullMQ key prefix: the deployment's Redis prefix plus `bull`. */
export function bullPrefix(redisKeyPrefix: string): string {
  return `${redisKeyPrefix}bull`;
}

export class Producer<Payload> {
  readonly queue: Queue;
  private readonly def: QueueDefinition<Payload>;
  constructor(def: QueueDefinition<Payload>, connection: Redis, redisKeyPrefix: string) {
    this.def = def;
    this.queue = new Queue(def.name, { connection, prefix: bullPrefix(redisKeyPrefix), defaultJobOptions: def.defaultJobOptions });
  }

  add(payload: Payload, opts: JobsOptions = {}) {
    return this.queue.add(this.def.name, payload as object, { jobId: this.def.jobId(payload), ...opts });
  }

  close() {
    return this.queue.close();
  }
}

/** ingest-book: a book's uploaded PDF → text → passages → vectors. One job per (book, file). */
export interface IngestBookPayload {
  bookId: string;
  fileSha256: string;
  blobKey: string;
  requestId?: string;
}

export const ingestBookQueue = defineQueue<IngestBookPayload>({
  name: 'ingest-book',
  // Parsing problems are final (UnrecoverableError); retries are for the database, Redis or the
  // embeddings endpoint being briefly away.
  defaultJobOptions: { ...standardJobOptions, attempts: 4, backoff: { type: 'exponential', delay: 5_000 } },
  jobId: (p) => `ingest-${p.bookId}-${p.fileSha256.slice(0, 32)}`,
});

/** purge-book: a deleted book's passages, vectors, ingestion and files are removed. */
export interface PurgeBookPayload {
  bookId: string;
  courseId: string;
  requestId?: string;
}

export const purgeBookQueue = defineQueue<PurgeBookPayload>({
  name: 'purge-book',
  // Enqueued inside the deleting transaction: the job confirms the book is gone before it purges,
  // and retries for a while in case it runs before that transaction commits.
  defaultJobOptions: { ...standardJobOptions, attempts: 6, backoff: { type: 'exponential', delay: 1_000 } },
  jobId: (p) => `purge-${p.bookId}`,
});
