import { createHash } from 'node:crypto';
import {
  BadUserInputError,
  ForbiddenError,
  type FileUpload,
  type Identity,
  NotFoundError,
  parseInput,
  type Producer,
  readUpload,
  UnauthenticatedError,
} from '@ai-teacher/shared';
import type { Logger } from 'pino';
import { z } from 'zod';
import { bookFileKey } from '../blob/keys.ts';
import type { IngestBookPayload } from '../contracts.ts';
import type { Ingestion } from '../entities/ingestion.entity.ts';
import { looksLikePdf } from '../ingest/pdf-text.ts';
import type { ChunkRepository } from '../repositories/chunk.repository.ts';
import type { IngestionRepository } from '../repositories/ingestion.repository.ts';
import type { RetrievalRuntime } from '../runtime.ts';
import { type Passage, searchPassages } from '../search/search.ts';

const id = z.uuid({ message: 'must be a valid id' });
const queryInput = z
  .string()
  .transform((s) => s.trim())
  .pipe(z.string().min(1, 'must not be blank').max(2000, 'must be at most 2000 characters'));
const limitInput = z.number().int().min(1, 'must be at least 1').max(20, 'must be at most 20');


export class RetrievalService {
  private readonly d: {
    identity: Identity | null;
    runtime: RetrievalRuntime;
    ingestions: IngestionRepository;
    chunks: ChunkRepository;
    producer: Producer<IngestBookPayload>;
    logger: Logger;
    requestId: string;
  };

  constructor(deps: RetrievalService['d']) {
    this.d = deps;
  }

  private user(): Identity {
    if (!this.d.identity) throw new UnauthenticatedError();
    return this.d.identity;
  }

  async upload(rawBookId: unknown, file: Promise<FileUpload>): Promise<Ingestion> {
    const user = this.user();
    const bookId = parseInput(id, rawBookId, 'bookId');
    const book = await this.d.runtime.scope.bookCourse(bookId);
    if (!book) throw new NotFoundError('No book with this id');
    const access = await this.d.runtime.scope.access(user, book.courseId);
    if (!access?.canTeach) throw new ForbiddenError('Only administrators and the course’s teachers can upload its books');

    const { filename, data } = await readUpload(file, this.d.runtime.config.UPLOAD_MAX_BYTES, 'file');
    if (data.length === 0) throw new BadUserInputError('file: empty file', 'file');
    if (!looksLikePdf(data)) throw new BadUserInputError('file: not a PDF (the file does not start with %PDF-)', 'file');
    const sha = createHash('sha256').update(data).digest('hex');

    const existing = await this.d.ingestions.byBookId(bookId);
    if (existing && existing.fileSha256 === sha && existing.status !== 'FAILED') return existing; // same file again: one job

    const replacedKey = existing?.blobKey; // read now: the upsert below updates the same entity
    const blobKey = bookFileKey(bookId, sha);
    await this.d.runtime.blobs.put(blobKey, data, 'application/pdf');
    const ingestion = await this.d.ingestions.start({ bookId, courseId: book.courseId, fileSha256: sha, blobKey, fileName: filename.slice(0, 255), fileSize: data.length, uploadedBy: user.userId });
    const payload = { bookId, fileSha256: sha, blobKey, requestId: this.d.requestId };
    // A failed job for the same file stays in the queue for inspection; retrying means replacing it.
    const previous = await this.d.producer.existing(payload);
    if (previous && (await previous.isFailed())) await previous.remove();
    await this.d.producer.add(payload);
    this.d.logger.info({ bookId, size: data.length, sha }, 'book file uploaded; ingestion queued');
    // The replaced file is no longer needed: a job still queued for it skips itself without reading
    // it, one already running has it in memory, and its passages live in the database.
    if (replacedKey && replacedKey !== blobKey) {
      await this.d.runtime.blobs.delete(replacedKey).catch((err: Error) => this.d.logger.warn({ bookId, key: replacedKey, err: err.message }, 'could not delete the replaced file'));
    }
    return ingestion;
  }

  /** The ingestion of a book, for those who may read its course. */
  async ingestionOf(bookId: string, loaded: Ingestion | null): Promise<Ingestion | null> {
    const user = this.user();
    if (!loaded) return null;
    const access = await this.d.runtime.scope.access(user, loaded.courseId);
    if (!access?.canRead) throw new ForbiddenError('You are not enrolled in or teaching this course');
    void bookId;
    return loaded;
  }

  async search(rawCourseId: unknown, rawQuery: unknown, rawLimit: unknown): Promise<Passage[]> {
    const user = this.user();
    const courseId = parseInput(id, rawCourseId, 'courseId');
    const query = parseInput(queryInput, rawQuery, 'query');
    const limit = parseInput(limitInput, rawLimit ?? 5, 'limit');
    // The scope comes from academic, never from the client.
    const access = await this.d.runtime.scope.access(user, courseId);
    if (!access) throw new NotFoundError('No course with this id');
    if (!access.canRead) throw new ForbiddenError('You are not enrolled in or teaching this course');

    return searchPassages(this.d.runtime, this.d.chunks, access.scope, query, limit);
  }
}
