import type { NewEvent } from '@ai-teacher/shared';

/** The book an event is about, as academic names it (or, failing that, the uploaded file). */
export interface BookSubject {
  bookId: string;
  courseId: string;
  title: string;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** To the uploader and the course's teachers (resolved by the notification worker at delivery). */
function audience(uploadedBy: string | null): NewEvent['audience'] {
  return uploadedBy ? { userIds: [uploadedBy], courseTeachers: true } : { courseTeachers: true };
}

/** BOOK_READY: the book is searchable. Plain text (never HTML). */
export function bookReadyEvent(book: BookSubject, outcome: { pageCount: number; chunkCount: number; emptyPages: number }, uploadedBy: string | null): NewEvent {
  const unreadable = outcome.emptyPages ? ` ${plural(outcome.emptyPages, 'page has', 'pages have')} no extractable text and cannot be searched.` : '';
  return {
    kind: 'BOOK_READY',
    courseId: book.courseId,
    title: `Book ready: ${book.title}`,
    body: `${book.title} is ready: ${plural(outcome.pageCount, 'page', 'pages')}, ${plural(outcome.chunkCount, 'passage is', 'passages are')} searchable.${unreadable}`,
    audience: audience(uploadedBy),
    data: { bookId: book.bookId },
  };
}

/** BOOK_FAILED: the file could not be ingested; the body is the reason the ingestion shows (capitalised). */
export function bookFailedEvent(book: BookSubject, reason: string, uploadedBy: string | null): NewEvent {
  return {
    kind: 'BOOK_FAILED',
    courseId: book.courseId,
    title: `Book could not be read: ${book.title}`,
    body: reason.charAt(0).toUpperCase() + reason.slice(1),
    audience: audience(uploadedBy),
    data: { bookId: book.bookId },
  };
}
