import { ForbiddenError, type Producer, type Redis, parseInput } from '@ai-teacher/shared';
import type { PurgeBookPayload } from '@ai-teacher/retrieval/contracts';
import type { Logger } from 'pino';
import { forgetBook } from '../contracts.ts';
import type { Book, Course } from '../entities/index.ts';
import { authorsInput, bookTitleInput, id } from '../inputs.ts';
import type { AccessPolicy } from '../policy/access.policy.ts';
import type { BookRepository } from '../repositories/book.repository.ts';
import type { Loaders } from './loaders.ts';
import { existing } from './lookup.ts';

export interface BookServiceDeps {
  policy: AccessPolicy;
  books: BookRepository;
  loaders: Loaders;
  redis: Redis;
  /** Tells retrieval (and later exam) that a book is gone, so its material is purged. */
  purgeBooks: Producer<PurgeBookPayload>;
  requestId: string;
  logger: Logger;
}

/** A course's books: read by whoever may read the course, changed by ADMIN or its teachers. */
export class BookService {
  private readonly d: BookServiceDeps;
  constructor(deps: BookServiceDeps) {
    this.d = deps;
  }

  /** A book of a course the caller may read. */
  async book(rawId: unknown): Promise<Book> {
    const bookId = parseInput(id, rawId, 'id');
    this.d.policy.user();
    const book = await existing(this.d.loaders.book, bookId, 'book');
    if (!(await this.d.policy.canRead(book.courseId))) throw new ForbiddenError('You are not enrolled in or teaching this course');
    return book;
  }

  booksOf(course: Course): Promise<Book[]> {
    return this.d.loaders.booksOfCourse.load(course.id);
  }

  async courseOf(book: Book): Promise<Course> {
    return (await this.d.loaders.course.load(book.courseId))!;
  }

  /** A course whose books the caller may change. */
  private async teachableCourse(rawCourseId: unknown, field: string): Promise<Course> {
    const user = this.d.policy.user();
    const courseId = parseInput(id, rawCourseId, field);
    const course = await existing(this.d.loaders.course, courseId, 'course');
    if (!(await this.d.policy.canTeach(course.id))) {
      throw new ForbiddenError(user.role === 'TEACHER' ? 'You do not teach this course' : 'Only administrators and the course’s teachers can do this');
    }
    return course;
  }

  /** A book the caller may change. */
  private async teachableBook(rawId: unknown): Promise<Book> {
    this.d.policy.user();
    const bookId = parseInput(id, rawId, 'id');
    const book = await existing(this.d.loaders.book, bookId, 'book');
    await this.teachableCourse(book.courseId, 'id');
    return book;
  }

  async createBook(rawCourseId: unknown, rawTitle: unknown, rawAuthors: unknown): Promise<Book> {
    const course = await this.teachableCourse(rawCourseId, 'courseId');
    const title = parseInput(bookTitleInput, rawTitle, 'title');
    const authors = parseInput(authorsInput, rawAuthors, 'authors');
    return this.d.books.create(course.id, title, authors);
  }

  async updateBook(rawId: unknown, rawTitle: unknown, rawAuthors: unknown): Promise<Book> {
    const book = await this.teachableBook(rawId);
    const title = rawTitle == null ? undefined : parseInput(bookTitleInput, rawTitle, 'title');
    const authors = rawAuthors == null ? undefined : parseInput(authorsInput, rawAuthors, 'authors');
    return this.d.books.update(book, { title, authors });
  }

  /**
   * Deletes a book. The purge job (passages, vectors, files) is enqueued inside the same
   * transaction: if the queue cannot take it, the book stays; the job itself confirms the deletion.
   */
  async deleteBook(rawId: unknown): Promise<string> {
    const book = await this.teachableBook(rawId);
    const { id: bookId, courseId } = book;
    await this.d.books.delete(book, () => this.d.purgeBooks.add({ bookId, courseId, requestId: this.d.requestId }).then(() => undefined));
    await forgetBook(this.d.redis, bookId);
    this.d.logger.info({ bookId, courseId, by: this.d.policy.user().userId }, 'book deleted; purge queued');
    return bookId;
  }
}
