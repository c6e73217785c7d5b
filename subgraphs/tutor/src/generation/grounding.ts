import type { RetrievalClient } from '@ai-teacher/retrieval/contracts';

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
export class GroundingSource {
  private readonly retrieval: RetrievalClient;
  constructor(retrieval: RetrievalClient) {
    this.retrieval = retrieval;
  }

  async search(courseId: string, query: string, limit: number): Promise<Grounding> {
    const res = await this.retrieval.search(courseId, query, limit);
    return {
      passages: res.passages.map((p) => ({ text: p.text, bookId: p.book.id, pageStart: p.pageStart, pageEnd: p.pageEnd, section: p.section, score: p.score })),
      books: res.books,
    };
  }
}
