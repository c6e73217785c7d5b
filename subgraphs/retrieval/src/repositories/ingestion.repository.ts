import type { EntityManager } from '@ai-teacher/shared';
import { Ingestion } from '../entities/ingestion.entity.ts';

export type IngestionStatus = Ingestion['status'];

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
  async start(data: { bookId: string; courseId: string; fileSha256: string; blobKey: string; fileName: string; fileSize: number }): Promise<Ingestion> {
    const now = new Date();
    return this.em.upsert(Ingestion, {
      ...data,
      status: 'PENDING',
      progress: 0,
      pageCount: null,
      chunkCount: null,
      error: null,
      createdAt: now,
      updatedAt: now,
    });
  }

  /** Updates only while the row still describes this file (a newer upload wins). */
  async update(bookId: string, fileSha256: string, changes: Partial<Pick<Ingestion, 'status' | 'progress' | 'pageCount' | 'chunkCount' | 'error'>>): Promise<boolean> {
    const n = await this.em.nativeUpdate(Ingestion, { bookId, fileSha256 }, { ...changes, updatedAt: new Date() });
    return n > 0;
  }
}
