import type { Logger, MikroORM } from '@ai-teacher/shared';
import type { Job } from 'bullmq';
import { bookFilesPrefix } from '../blob/keys.ts';
import type { PurgeBookPayload } from '../contracts.ts';
import { ChunkRepository } from '../repositories/chunk.repository.ts';
import type { RetrievalRuntime } from '../runtime.ts';

/** Thrown while academic still has the book (the deleting transaction may not have committed yet). */
export class BookStillExistsError extends Error {
  constructor(bookId: string) {
    super(`book ${bookId} still exists; nothing purged`);
    this.name = 'BookStillExistsError';
  }
}

/**
 * One purge-book job: a deleted book's ingestion and passages (one transaction, so a search never
 * sees half of them), then its vectors and stored files. Idempotent: running it again finds
 * nothing left to remove. An ingestion still running for the book notices at its passages swap and
 * writes nothing.
 */
export async function purgeBook(job: Job<PurgeBookPayload>, deps: { orm: MikroORM; runtime: RetrievalRuntime; logger: Logger }) {
  const { bookId } = job.data;
  const { runtime, logger } = deps;
  if (await runtime.scope.bookCourse(bookId, { fresh: true })) throw new BookStillExistsError(bookId);

  const { passages } = await new ChunkRepository(deps.orm.em.fork()).purgeBook(bookId);
  await runtime.vectors.deleteBook(bookId, null);
  const files = await runtime.blobs.list(bookFilesPrefix(bookId));
  for (const key of files) await runtime.blobs.delete(key);
  logger.info({ bookId, courseId: job.data.courseId, passages, files: files.length, requestId: job.data.requestId }, 'deleted book purged');
  return { passages, files: files.length };
}
