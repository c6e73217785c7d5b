/** Where a book's uploaded files are kept in the blob store (one folder per book, one file per content hash). */
export const bookFilesPrefix = (bookId: string) => `books/${bookId}/`;
export const bookFileKey = (bookId: string, sha256: string) => `${bookFilesPrefix(bookId)}${sha256}.pdf`;
