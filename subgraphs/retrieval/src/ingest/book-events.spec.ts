import { describe, expect, it } from '@jest/globals';
import { bookFailedEvent, bookReadyEvent } from './book-events.ts';

const book = { bookId: '11111111-1111-4111-8111-111111111111', courseId: '22222222-2222-4222-8222-222222222222', title: 'Biology 2e' };
const uploader = '33333333-3333-4333-8333-333333333333';

describe('book events', () => {
  it('BOOK_READY: counts in words, pages without text mentioned, for the uploader and the teachers', () => {
    expect(bookReadyEvent(book, { pageCount: 59, chunkCount: 212, emptyPages: 0 }, uploader)).toEqual({
      kind: 'BOOK_READY',
      courseId: book.courseId,
      title: 'Book ready: Biology 2e',
      body: 'Biology 2e is ready: 59 pages, 212 passages are searchable.',
      audience: { userIds: [uploader], courseTeachers: true },
      data: { bookId: book.bookId },
    });
    expect(bookReadyEvent(book, { pageCount: 1, chunkCount: 1, emptyPages: 0 }, uploader).body).toBe('Biology 2e is ready: 1 page, 1 passage is searchable.');
    expect(bookReadyEvent(book, { pageCount: 10, chunkCount: 8, emptyPages: 2 }, uploader).body).toBe(
      'Biology 2e is ready: 10 pages, 8 passages are searchable. 2 pages have no extractable text and cannot be searched.',
    );
  });

  it('BOOK_FAILED: the reason as the body; without a recorded uploader, the teachers only', () => {
    expect(bookFailedEvent(book, 'truncated or damaged PDF', null)).toEqual({
      kind: 'BOOK_FAILED',
      courseId: book.courseId,
      title: 'Book could not be read: Biology 2e',
      body: 'Truncated or damaged PDF',
      audience: { courseTeachers: true },
      data: { bookId: book.bookId },
    });
  });
});
