import { createHash } from 'node:crypto';
import type { BookInfo } from '@ai-teacher/academic/contracts';
import { type Logger, type MikroORM, type OutboxRelay, UnrecoverableError } from '@ai-teacher/shared';
import type { IngestBookPayload } from '../contracts.ts';
import type { Job } from 'bullmq';
import { ChunkRepository } from '../repositories/chunk.repository.ts';
import { IngestionRepository } from '../repositories/ingestion.repository.ts';
import type { RetrievalRuntime } from '../runtime.ts';
import { bookFailedEvent, bookReadyEvent, type BookSubject } from './book-events.ts';
import { chunkPages } from './chunk.ts';
import { cleanPages } from './clean.ts';
import { PdfRejectedError } from './pdf-text.ts';
import { extractPdfTextInThread } from './pdf-thread.ts';

/** Stable ids, so a retried job overwrites its own earlier vectors instead of adding more. */
export function chunkId(bookId: string, generation: string, index: number): string {
  const h = createHash('sha256').update(`${bookId}:${generation}:${index}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The book or its course was deleted: final, and nobody is told (the book is gone). */
class BookGoneError extends PdfRejectedError {}

export interface IngestBookDeps {
  orm: MikroORM;
  runtime: RetrievalRuntime;
  logger: Logger;
  /** Relays BOOK_READY / BOOK_FAILED to the notify queue once their transaction has committed. */
  relay: Pick<OutboxRelay, 'kick'>;
}

/**
 * One ingest-book job: PDF → clean text per page → passages → embeddings (batched, cached) →
 * vectors, then passages swapped in atomically with READY and its BOOK_READY event. Files that
 * cannot be read end FAILED with a specific reason (and BOOK_FAILED) and are not retried;
 * infrastructure errors are retried with backoff and end FAILED only after the last attempt. A job
 * for a file that has since been replaced does nothing; a job that runs twice announces once (the
 * event is written only when the status changes, under the ingestion's row lock).
 */
export async function ingestBook(job: Job<IngestBookPayload>, deps: IngestBookDeps) {
  const { bookId, fileSha256: generation, blobKey } = job.data;
  const { runtime, logger } = deps;
  const ingestions = new IngestionRepository(deps.orm.em.fork());
  const current = await ingestions.byBookId(bookId);
  if (!current || current.fileSha256 !== generation) return { skipped: 'superseded by a newer upload' };
  if (current.status === 'READY') {
    // A run that crashed after the swap committed may have left the previous file's vectors.
    await runtime.vectors.deleteBook(bookId, generation);
    return { skipped: 'already ingested' };
  }

  let lastReported = -1;
  const progress = async (value: number) => {
    const rounded = Math.round(value * 100) / 100;
    if (rounded === lastReported) return;
    lastReported = rounded;
    await ingestions.progress(bookId, generation, rounded);
    await job.updateProgress(rounded);
  };
  // What events call the book: academic's title once known; the uploaded file's name until then.
  let book: BookInfo | null = null;
  const subject = (): BookSubject => book ?? { bookId, courseId: current.courseId, title: current.fileName };

  try {
    await progress(0);
    book = await runtime.scope.bookCourse(bookId, { fresh: true });
    if (!book) throw new BookGoneError('the book no longer exists');
    const scope = await runtime.scope.course(book.courseId);
    if (!scope) throw new BookGoneError('the book’s course no longer exists');

    const data = await runtime.blobs.get(blobKey);
    // In a worker thread with a heap cap and time limits: a file that exceeds them is rejected
    // (FAILED with the reason, not retried) before anything is written.
    const pdf = await extractPdfTextInThread(new Uint8Array(data), {
      maxPages: runtime.config.INGEST_MAX_PAGES,
      maxChars: runtime.config.INGEST_MAX_CHARS,
      maxHeapMb: runtime.config.INGEST_MAX_HEAP_MB,
      timeoutMs: runtime.config.INGEST_TIMEOUT_MS,
      pageTimeoutMs: runtime.config.INGEST_PAGE_TIMEOUT_MS,
      onProgress: (done, total) => progress(0.5 * (done / total)),
    });
    const pages = cleanPages(pdf.pages);
    const emptyPages = pages.filter((lines) => lines.join('').trim().length === 0).length;
    const chunks = chunkPages(pages).map((c) => ({ ...c, id: chunkId(bookId, generation, c.index) }));
    if (!chunks.length || emptyPages === pdf.pageCount) {
      throw new PdfRejectedError('no extractable text (scanned/image-only PDF; OCR not supported)');
    }

    const vectors: number[][] = [];
    const batch = runtime.config.EMBEDDINGS_BATCH_SIZE;
    for (let i = 0; i < chunks.length; i += batch) {
      const slice = chunks.slice(i, i + batch);
      vectors.push(...(await runtime.embedder.embed(slice.map((c) => (c.section ? `${c.section}\n${c.text}` : c.text)))));
      await progress(0.5 + 0.4 * (Math.min(i + batch, chunks.length) / chunks.length));
    }

    await runtime.vectors.ensureReady(vectors[0]!.length);
    await runtime.vectors.upsert(chunks.map((c, i) => ({ id: c.id, vector: vectors[i]!, payload: { ...scope, bookId, generation } })));
    // The passages swap is the moment searches switch to the new file and the book is READY (its
    // event in the same transaction); old vectors go after it.
    const warning = emptyPages ? `warning: ${emptyPages} of ${pdf.pageCount} pages have no extractable text (scanned?); they are not searchable` : null;
    const named = book;
    const ready = {
      pageCount: pdf.pageCount,
      warning,
      event: ({ uploadedBy }: { uploadedBy: string | null }) => bookReadyEvent(named, { pageCount: pdf.pageCount, chunkCount: chunks.length, emptyPages }, uploadedBy),
    };
    if (!(await new ChunkRepository(deps.orm.em.fork()).replaceBook(bookId, generation, scope, chunks, ready))) {
      // A newer file or the book's deletion overtook this job: take back only what it wrote.
      const now = await ingestions.byBookId(bookId);
      await runtime.vectors.deleteBook(bookId, now?.fileSha256 ?? null);
      return { skipped: now ? 'superseded by a newer upload' : 'the book was deleted' };
    }
    deps.relay.kick();
    await runtime.vectors.deleteBook(bookId, generation);

    logger.info({ bookId, pages: pdf.pageCount, chunks: chunks.length, model: runtime.embedder.model, store: runtime.vectors.kind }, 'book ingested');
    return { pages: pdf.pageCount, chunks: chunks.length };
  } catch (err) {
    if (err instanceof PdfRejectedError) {
      const gone = err instanceof BookGoneError;
      if (await ingestions.fail(bookId, generation, err.message, ({ uploadedBy }) => (gone ? null : bookFailedEvent(subject(), err.message, uploadedBy)))) deps.relay.kick();
      logger.warn({ bookId, reason: err.message }, 'book rejected');
      throw new UnrecoverableError(err.message);
    }
    const attempts = job.opts.attempts ?? 1;
    if (job.attemptsMade + 1 >= attempts) {
      const reason = `ingestion failed after ${attempts} attempts: ${(err as Error).message}`;
      const failed = await ingestions.fail(bookId, generation, reason, ({ uploadedBy }) => bookFailedEvent(subject(), reason, uploadedBy)).catch(() => false);
      if (failed) deps.relay.kick();
    }
    throw err;
  }
}
