import type { CourseScopeIds, EntityManager } from '@ai-teacher/shared';
import type { Chunk } from '../ingest/chunk.ts';

export interface StoredChunk {
  id: string;
  bookId: string;
  pageStart: number;
  pageEnd: number;
  section: string | null;
  text: string;
}

/** Passages in Postgres: the text, its full-text index, and the page span and section. */
export class ChunkRepository {
  private readonly em: EntityManager;
  constructor(em: EntityManager) {
    this.em = em;
  }

  /**
   * Swaps a book's passages for a new generation in one transaction: a search sees either the old
   * passages or the new ones, never a mix, never none in between.
   */
  async replaceBook(bookId: string, generation: string, scope: CourseScopeIds, chunks: (Chunk & { id: string })[]): Promise<void> {
    const rows = chunks.map((c) => ({ id: c.id, chunk_index: c.index, page_start: c.pageStart, page_end: c.pageEnd, section: c.section, text: c.text }));
    await this.em.transactional(async (tx) => {
      const conn = tx.getConnection();
      await conn.execute(`delete from retrieval.chunks where book_id = ?`, [bookId], 'run');
      await conn.execute(
        `insert into retrieval.chunks (id, book_id, generation, course_id, semester_id, department_id, faculty_id, chunk_index, page_start, page_end, section, text, tsv)
         select x.id, ?, ?, ?, ?, ?, ?, x.chunk_index, x.page_start, x.page_end, x.section, x.text,
                setweight(to_tsvector('english', coalesce(x.section, '')), 'A') || setweight(to_tsvector('english', x.text), 'B')
         from jsonb_to_recordset(?::jsonb) as x(id uuid, chunk_index int, page_start int, page_end int, section text, text text)`,
        [bookId, generation, scope.courseId, scope.semesterId, scope.departmentId, scope.facultyId, JSON.stringify(rows)],
        'run',
      );
    });
  }

  async deleteBook(bookId: string): Promise<void> {
    await this.em.getConnection().execute(`delete from retrieval.chunks where book_id = ?`, [bookId], 'run');
  }

  /** Full-text ranking within a course: any query term may match (OR), rarer and title terms weigh more. */
  async fullText(courseId: string, terms: string[], limit: number): Promise<{ id: string; score: number }[]> {
    if (!terms.length) return [];
    const rows = (await this.em.getConnection().execute(
      `select id, ts_rank_cd(tsv, q, 1) as score
       from retrieval.chunks, to_tsquery('english', ?) as q
       where course_id = ? and tsv @@ q
       order by score desc, id
       limit ?`,
      [terms.join(' | '), courseId, limit],
      'all',
    )) as { id: string; score: number }[];
    return rows.map((r) => ({ id: r.id, score: Number(r.score) }));
  }

  async byIds(ids: string[], courseId: string): Promise<StoredChunk[]> {
    if (!ids.length) return [];
    const rows = (await this.em.getConnection().execute(
      `select id, book_id, page_start, page_end, section, text from retrieval.chunks
       where id in (select value::uuid from jsonb_array_elements_text(?::jsonb)) and course_id = ?`,
      [JSON.stringify(ids), courseId],
      'all',
    )) as { id: string; book_id: string; page_start: number; page_end: number; section: string | null; text: string }[];
    return rows.map((r) => ({ id: r.id, bookId: r.book_id, pageStart: r.page_start, pageEnd: r.page_end, section: r.section, text: r.text }));
  }
}
