import { type EntityManager, type NewEvent, Outbox } from '@ai-teacher/shared';
import { Ingestion } from '../entities/ingestion.entity.ts';

export type IngestionStatus = Ingestion['status'];

/** The retrieval schema's outbox (BOOK_READY, BOOK_FAILED for the notification subgraph). */
export const retrievalOutbox = new Outbox('retrieval');

/** Builds a status change's event from the locked ingestion row (null: nobody to tell). */
export type IngestionEventFor = (row: { uploadedBy: string | null }) => NewEvent | null;

export class IngestionRepository {
  private readonly em: EntityManager;
  constructor(em: EntityManager) {
    this.em = em;
  }

  byBookIds(bookIds: readonly string[]): Promise<Ingestion[]> {
    return this.em.find(Ingestion, { bookId: { $in: [...bookIds] } });
  }

  /** The course's searchable books and the file each one holds (its version). */
  async readyOfCourse(courseId: string): Promise<{ bookId: string; version: string }[]> {
    const rows = await this.em.find(Ingestion, { courseId, status: 'READY' }, { orderBy: { bookId: 'asc' } });
    return rows.map((r) => ({ bookId: r.bookId, version: r.fileSha256 }));
  }

  ofCourse(courseId: string): Promise<Ingestion[]> {
    return this.em.find(Ingestion, { courseId }, { orderBy: { bookId: 'asc' } });
  }

  async byBookId(bookId: string): Promise<Ingestion | null> {
    return this.em.findOne(Ingestion, { bookId }, { refresh: true });
  }

  /** A new file for the book: back to PENDING, previous counts cleared. */
  async start(data: { bookId: string; courseId: string; fileSha256: string; blobKey: string; fileName: string; fileSize: number; uploadedBy?: string | null }): Promise<Ingestion> {
    const now = new Date();
    return this.em.upsert(Ingestion, {
      ...data,
      uploadedBy: data.uploadedBy ?? null,
      status: 'PENDING',
      progress: 0,
      pageCount: null,
      chunkCount: null,
      error: null,
      createdAt: now,
      updatedAt: now,
    });
  }

  /**
   * Progress of the job for this file: only while it is still PENDING or PROCESSING (a newer upload
   * wins, and a job running a second time never turns a READY or FAILED book back to PROCESSING).
   */
  async progress(bookId: string, fileSha256: string, progress: number): Promise<boolean> {
    const n = await this.em.nativeUpdate(Ingestion, { bookId, fileSha256, status: { $in: ['PENDING', 'PROCESSING'] } }, { status: 'PROCESSING', progress, updatedAt: new Date() });
    return n > 0;
  }

  /**
   * Marks this file FAILED with its reason and writes the event in the same transaction, only when
   * the status changes: a READY book stays READY, and a FAILED one is not failed (nor announced)
   * again. False when nothing changed (also when a newer upload replaced the file).
   */
  async fail(bookId: string, fileSha256: string, reason: string, eventFor: IngestionEventFor): Promise<boolean> {
    // Statements go through the transaction's EntityManager, never `getConnection().execute()`.
    return this.em.transactional(async (tx) => {
      const [row] = (await tx.execute(`select status, uploaded_by from retrieval.ingestions where book_id = ? and file_sha256 = ? for update`, [bookId, fileSha256], 'all')) as {
        status: IngestionStatus;
        uploaded_by: string | null;
      }[];
      if (!row || row.status === 'READY' || row.status === 'FAILED') return false;
      await tx.execute(`update retrieval.ingestions set status = 'FAILED', error = ?, updated_at = now() where book_id = ?`, [reason, bookId], 'run');
      const event = eventFor({ uploadedBy: row.uploaded_by });
      if (event) await retrievalOutbox.add(tx, [event]);
      return true;
    });
  }
}
