import type { InternalClient } from '@ai-teacher/shared';

export interface GroundingPassage {
  text: string;
  bookId: string;
  pageStart: number;
  pageEnd: number;
  section: string | null;
  score: number;
}

export interface Grounding {
  passages: GroundingPassage[];
  /** Every searchable book of the course and the file it holds: an answer is valid for these. */
  books: { bookId: string; version: string }[];
}

/** Course-scoped passages from retrieval's internal search (the tutor has checked access). */
export class RetrievalClient {
  private readonly client: InternalClient;
  constructor(client: InternalClient) {
    this.client = client;
  }

  async search(courseId: string, query: string, limit: number): Promise<Grounding> {
    const res = await this.client.post<{
      passages: { text: string; score: number; book: { id: string }; pageStart: number; pageEnd: number; section: string | null }[];
      books: { bookId: string; version: string }[];
    }>('/internal/search', { courseId, query, limit });
    return {
      passages: res.passages.map((p) => ({ text: p.text, bookId: p.book.id, pageStart: p.pageStart, pageEnd: p.pageEnd, section: p.section, score: p.score })),
      books: res.books,
    };
  }
}
