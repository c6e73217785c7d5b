// What the retrieval subgraph offers other services: its queues (academic enqueues purges) and its
// course-scoped search (the tutor's grounding).
import { defineInternalRoute, defineQueue, type InternalClient, standardJobOptions } from '@ai-teacher/shared';
import { z } from 'zod';

/** ingest-book: a book's uploaded PDF → text → passages → vectors. One job per (book, file). */
export interface IngestBookPayload {
  bookId: string;
  fileSha256: string;
  blobKey: string;
  requestId?: string;
}

export const ingestBookQueue = defineQueue<IngestBookPayload>('ingest-book', {
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

export const purgeBookQueue = defineQueue<PurgeBookPayload>('purge-book', {
  // Enqueued inside the deleting transaction: the job confirms the book is gone before it purges,
  // and retries for a while in case it runs before that transaction commits.
  defaultJobOptions: { ...standardJobOptions, attempts: 6, backoff: { type: 'exponential', delay: 1_000 } },
  jobId: (p) => `purge-${p.bookId}`,
});

const passage = z.object({
  text: z.string(),
  score: z.number(),
  book: z.object({ id: z.uuid() }),
  pageStart: z.number().int(),
  pageEnd: z.number().int(),
  section: z.string().nullable(),
});
/** One retrieved passage (the same shape as the public `Passage`). */
export type Passage = z.infer<typeof passage>;

/**
 * A course-scoped search for a caller that has already checked the user's access, plus the
 * version of every searchable book of the course (answers built on them are valid for these).
 */
export const searchRoute = defineInternalRoute({
  path: '/internal/search',
  input: z.object({ courseId: z.uuid(), query: z.string().trim().min(1).max(2000), limit: z.number().int().min(1).max(20).default(6) }),
  output: z.object({
    course: z.object({ courseId: z.uuid() }).loose().nullable(),
    passages: z.array(passage),
    books: z.array(z.object({ bookId: z.uuid(), version: z.string() })),
  }),
});
export type SearchAnswer = z.infer<typeof searchRoute.output>;

/** Calls retrieval's internal search. */
export class RetrievalClient {
  private readonly client: InternalClient;
  constructor(client: InternalClient) {
    this.client = client;
  }

  search(courseId: string, query: string, limit: number): Promise<SearchAnswer> {
    return this.client.call(searchRoute, { courseId, query, limit });
  }
}
