import { createHash } from 'node:crypto';
import { type Logger, type MikroORM, UnrecoverableError } from '@ai-teacher/shared';
import type { IngestBookPayload } from '../contracts.ts';
import type { Job } from 'bullmq';
import { ChunkRepository } from '../repositories/chunk.repository.ts';
import { IngestionRepository } from '../repositories/ingestion.repository.ts';
import type { RetrievalRuntime } from '../runtime.ts';
import { chunkPages } from './chunk.ts';
import { cleanPages } from './clean.ts';
import { extractPdfText, PdfRejectedError } from './pdf-text.ts';

/** Stable ids, so a retried job overwrites its own earlier vectors instead of adding more. */
export function chunkId(bookId: string, generation: string, index: number): string {
  const h = createHash('sha256').update(`${bookId}:${generation}:${index}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * One ingest-book job: PDF → clean text per page → passages → embeddings (batched, cached) →
 * vectors and passages swapped in atomically → READY. Files that cannot be read end FAILED with a
 * specific reason and are not retried; infrastructure errors are retried with backoff and end
 * FAILED only after the last attempt. A job for a file that has since been replaced does nothing.
 */
export async function ingestBook(job: Job<IngestBookPayload>, deps: { orm: MikroORM; runtime: RetrievalRuntime; logger: Logger }) {
  const { bookId, fileSha256: generation, blobKey } = job.data;
  const { runtime, logger } = deps;
  const ingestions = new IngestionRepository(deps.orm.em.fork());
  const current = await ingestions.byBookId(bookId);
  if (!current || current.fileSha256 !== generation) return { skipped: 'superseded by a newer upload' };
  if (current.status === 'READY') return { skipped: 'already ingested' };

  let lastReported = -1;
  const progress = async (value: number) => {
    const rounded = Math.round(value * 100) / 100;
    if (rounded === lastReported) return;
    lastReported = rounded;
    await ingestions.update(bookId, generation, { status: 'PROCESSING', progress: rounded });
    await job.updateProgress(rounded);
  };

  try {
    await progress(0);
    const book = await runtime.scope.bookCourse(bookId, { fresh: true });
    if (!book) throw new PdfRejectedError('the book no longer exists');
    const scope = await runtime.scope.course(book.courseId);
    if (!scope) throw new PdfRejectedError('the book’s course no longer exists');

    const data = await runtime.blobs.get(blobKey);
    const pdf = await extractPdfText(new Uint8Array(data), {
      maxPages: runtime.config.INGEST_MAX_PAGES,
      maxChars: runtime.config.INGEST_MAX_CHARS,
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
    // The passages swap is the moment searches switch to the new file; old vectors go after it.
    if (!(await new ChunkRepository(deps.orm.em.fork()).replaceBook(bookId, generation, scope, chunks))) {
      // A newer file or the book's deletion overtook this job: take back only what it wrote.
      const now = await ingestions.byBookId(bookId);
      await runtime.vectors.deleteBook(bookId, now?.fileSha256 ?? null);
      return { skipped: now ? 'superseded by a newer upload' : 'the book was deleted' };
    }
    await runtime.vectors.deleteBook(bookId, generation);

    const warning = emptyPages ? `warning: ${emptyPages} of ${pdf.pageCount} pages have no extractable text (scanned?); they are not searchable` : null;
    await ingestions.update(bookId, generation, { status: 'READY', progress: 1, pageCount: pdf.pageCount, chunkCount: chunks.length, error: warning });
    logger.info({ bookId, pages: pdf.pageCount, chunks: chunks.length, model: runtime.embedder.model, store: runtime.vectors.kind }, 'book ingested');
    return { pages: pdf.pageCount, chunks: chunks.length };
  } catch (err) {
    if (err instanceof PdfRejectedError) {
      await ingestions.update(bookId, generation, { status: 'FAILED', error: err.message });
      logger.warn({ bookId, reason: err.message }, 'book rejected');
      throw new UnrecoverableError(err.message);
    }
    const attempts = job.opts.attempts ?? 1;
    if (job.attemptsMade + 1 >= attempts) {
      await ingestions.update(bookId, generation, { status: 'FAILED', error: `ingestion failed after ${attempts} attempts: ${(err as Error).message}` }).catch(() => undefined);
    }
    throw err;
  }
}
