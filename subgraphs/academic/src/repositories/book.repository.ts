import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@ai-teacher/shared';
import { Book } from '../entities/index.ts';

export class BookRepository {
  private readonly em: EntityManager;
  constructor(em: EntityManager) {
    this.em = em;
  }

  byIds(ids: readonly string[]): Promise<Book[]> {
    return this.em.find(Book, { id: { $in: [...ids] } });
  }
  ofCourses(courseIds: readonly string[]): Promise<Book[]> {
    return this.em.find(Book, { courseId: { $in: [...courseIds] } }, { orderBy: { title: 'asc', id: 'asc' } });
  }
  async create(courseId: string, title: string, authors: string[]): Promise<Book> {
    const b = this.em.create(Book, { id: randomUUID(), courseId, title, authors });
    await this.em.flush();
    return b;
  }
  /** Deletes the book; `beforeCommit` runs inside the transaction and aborts it by throwing. */
  async delete(book: Book, beforeCommit: () => Promise<void>): Promise<void> {
    await this.em.transactional(async (tx) => {
      await tx.nativeDelete(Book, { id: book.id });
      await beforeCommit();
    });
  }
  async update(book: Book, changes: { title?: string | undefined; authors?: string[] | undefined }): Promise<Book> {
    if (changes.title !== undefined) book.title = changes.title;
    if (changes.authors !== undefined) book.authors = changes.authors;
    await this.em.flush();
    return book;
  }
}
