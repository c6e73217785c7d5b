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

const courseBook = z.object({ bookId: z.uuid(), status: z.enum(['PENDING', 'PROCESSING', 'READY', 'FAILED']), pageCount: z.number().int().nullable() });
export type CourseBook = z.infer<typeof courseBook>;

/** The course's uploaded books and their ingestion state (exam generation checks its request against them). */
export const courseBooksRoute = defineInternalRoute({
  path: '/internal/course-books',
  input: z.object({ courseId: z.uuid() }),
  output: z.object({ books: z.array(courseBook) }),
});

const bookPassage = z.object({
  bookId: z.uuid(),
  index: z.number().int(),
  text: z.string(),
  pageStart: z.number().int(),
  pageEnd: z.number().int(),
  section: z.string().nullable(),
});
export type BookPassage = z.infer<typeof bookPassage>;

/** At most this many passages per request (about 1,500 pages of text). */
export const COURSE_PASSAGES_MAX = 5_000;

/**
 * The stored passages of the course's READY books (all, or `bookIds`), in reading order, limited to
 * those overlapping the page range: the text exam items are grounded in. The caller has checked
 * that the user may teach the course.
 */
export const coursePassagesRoute = defineInternalRoute({
  path: '/internal/course-passages',
  input: z.object({
    courseId: z.uuid(),
    bookIds: z.array(z.uuid()).max(100).optional(),
    pageStart: z.number().int().min(1).optional(),
    pageEnd: z.number().int().min(1).optional(),
  }),
  output: z.object({ passages: z.array(bookPassage), truncated: z.boolean() }),
});

/** Calls retrieval's internal search. */
export class RetrievalClient {
  private readonly client: InternalClient;
  constructor(client: InternalClient) {
    this.client = client;
  }

  search(courseId: string, query: string, limit: number): Promise<SearchAnswer> {
    return this.client.call(searchRoute, { courseId, query, limit });
  }

  async courseBooks(courseId: string): Promise<CourseBook[]> {
    return (await this.client.call(courseBooksRoute, { courseId })).books;
  }

  coursePassages(input: z.input<typeof coursePassagesRoute.input>): Promise<z.infer<typeof coursePassagesRoute.output>> {
    return this.client.call(coursePassagesRoute, input);
  }
}
