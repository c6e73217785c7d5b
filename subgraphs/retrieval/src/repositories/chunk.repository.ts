import type { CourseScopeIds } from '@ai-teacher/academic/contracts';
import type { EntityManager } from '@ai-teacher/shared';
import type { Chunk } from '../ingest/chunk.ts';
import { type IngestionEventFor, type IngestionStatus, retrievalOutbox } from './ingestion.repository.ts';

export interface StoredChunk {
  id: string;
  bookId: string;
  pageStart: number;
  pageEnd: number;
  section: string | null;
  text: string;
}

/** What a finished ingestion records with its passages swap: the book becomes READY. */
export interface ReadyOutcome {
  pageCount: number;
  /** Shown on the ingestion (e.g. pages without text); null when there is nothing to say. */
  warning: string | null;
  /** BOOK_READY, written only when the book was not READY already (a job that runs twice tells once). */
  event: IngestionEventFor;
}

/** The usual BM25 parameters: term-frequency saturation and length normalisation. */
const BM25_K1 = 1.2;
const BM25_B = 0.75;

/** Passages in Postgres: the text, its full-text index, and the page span and section. */
export class ChunkRepository {
  private readonly em: EntityManager;
  constructor(em: EntityManager) {
    this.em = em;
  }

  /**
   * Swaps a book's passages for a new generation and marks the book READY (with its event) in one
   * transaction: a search sees either the old passages or the new ones, never a mix, never none in
   * between, and the book is READY exactly when its passages are in. Only while the book's
   * ingestion still describes this file (its row is locked for the swap): a job overtaken by a
   * newer upload, or by the book's deletion, writes nothing and gets false.
   */
  async replaceBook(bookId: string, generation: string, scope: CourseScopeIds, chunks: (Chunk & { id: string })[], ready: ReadyOutcome): Promise<boolean> {
    const rows = chunks.map((c) => ({ id: c.id, chunk_index: c.index, page_start: c.pageStart, page_end: c.pageEnd, section: c.section, text: c.text }));
    // Statements go through the transaction's EntityManager: `getConnection().execute()` would run
    // them outside the transaction, on another pooled connection.
    return this.em.transactional(async (tx) => {
      const [current] = (await tx.execute(`select status, uploaded_by from retrieval.ingestions where book_id = ? and file_sha256 = ? for update`, [bookId, generation], 'all')) as {
        status: IngestionStatus;
        uploaded_by: string | null;
      }[];
      if (!current) return false;
      await tx.execute(`delete from retrieval.chunks where book_id = ?`, [bookId], 'run');
      await tx.execute(
        `insert into retrieval.chunks (id, book_id, generation, course_id, semester_id, department_id, faculty_id, chunk_index, page_start, page_end, section, text, tsv)
         select x.id, ?, ?, ?, ?, ?, ?, x.chunk_index, x.page_start, x.page_end, x.section, x.text,
                setweight(to_tsvector('english', coalesce(x.section, '')), 'A') || setweight(to_tsvector('english', x.text), 'B')
         from jsonb_to_recordset(?::jsonb) as x(id uuid, chunk_index int, page_start int, page_end int, section text, text text)`,
        [bookId, generation, scope.courseId, scope.semesterId, scope.departmentId, scope.facultyId, JSON.stringify(rows)],
        'run',
      );
      await tx.execute(
        `update retrieval.ingestions set status = 'READY', progress = 1, page_count = ?, chunk_count = ?, error = ?, updated_at = now() where book_id = ?`,
        [ready.pageCount, chunks.length, ready.warning, bookId],
        'run',
      );
      if (current.status !== 'READY') {
        const event = ready.event({ uploadedBy: current.uploaded_by });
        if (event) await retrievalOutbox.add(tx, [event]);
      }
      return true;
    });
  }

  /** A deleted book: its ingestion and passages go in one transaction (vectors and files follow). */
  async purgeBook(bookId: string): Promise<{ passages: number }> {
    return this.em.transactional(async (tx) => {
      await tx.execute(`delete from retrieval.ingestions where book_id = ?`, [bookId], 'run');
      const res = (await tx.execute(`delete from retrieval.chunks where book_id = ?`, [bookId], 'run')) as { affectedRows?: number };
      return { passages: res.affectedRows ?? 0 };
    });
  }

  /**
   * Okapi BM25 over the passages' Postgres full-text lexemes (English stemming, stop words), within
   * one course. Any query term may match (OR); each matching term adds its inverse document
   * frequency in the course, saturated by its frequency in the passage and normalised by the
   * passage's length. `ts_rank_cd` has no document frequencies, so a word on every page of a book
   * ("output", "code") counted as much as a rare one; on the Python textbook's dev questions BM25
   * finds a gold page in the top 5 for 79 % of them, `ts_rank_cd` for 72 %. Section titles are part
   * of the lexemes (weight A), so a title word counts as one more occurrence.
   */
  async fullText(courseId: string, terms: string[], limit: number): Promise<{ id: string; score: number }[]> {
    if (!terms.length) return [];
    const rows = (await this.em.getConnection().execute(
      `with q as (select to_tsquery('english', ?) as q, tsvector_to_array(to_tsvector('english', ?)) as lexemes),
       hits as (
         select c.id, length(c.tsv)::float8 as len, t.lexeme, cardinality(t.positions)::float8 as tf
         from retrieval.chunks c, q, unnest(c.tsv) as t
         where c.course_id = ? and c.tsv @@ q.q and t.lexeme = any(q.lexemes)),
       stats as (select count(*)::float8 as n, greatest(avg(length(tsv)), 1)::float8 as avgdl from retrieval.chunks where course_id = ?),
       df as (select lexeme, count(*)::float8 as df from hits group by lexeme)
       select h.id, sum(ln(1 + (s.n - df.df + 0.5) / (df.df + 0.5)) * h.tf * (${BM25_K1} + 1) / (h.tf + ${BM25_K1} * (1 - ${BM25_B} + ${BM25_B} * h.len / s.avgdl))) as score
       from hits h join df using (lexeme), stats s
       group by h.id
       order by score desc, h.id
       limit ?`,
      [terms.join(' | '), terms.join(' '), courseId, courseId, limit],
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

  /**
   * Passages of the course's READY books in reading order (book, then position), optionally only
   * some books and only those overlapping a page range.
   */
  async inReadingOrder(q: { courseId: string; bookIds?: string[] | undefined; pageStart?: number | undefined; pageEnd?: number | undefined; limit: number }): Promise<(StoredChunk & { index: number })[]> {
    const rows = (await this.em.getConnection().execute(
      `select c.id, c.book_id, c.chunk_index, c.page_start, c.page_end, c.section, c.text
         from retrieval.chunks c
         join retrieval.ingestions i on i.book_id = c.book_id and i.file_sha256 = c.generation and i.status = 'READY'
        where c.course_id = ?
          and (?::jsonb is null or c.book_id in (select value::uuid from jsonb_array_elements_text(?::jsonb)))
          and c.page_end >= ? and c.page_start <= ?
        order by c.book_id, c.chunk_index
        limit ?`,
      [q.courseId, q.bookIds ? JSON.stringify(q.bookIds) : null, q.bookIds ? JSON.stringify(q.bookIds) : null, q.pageStart ?? 1, q.pageEnd ?? 2_147_483_647, q.limit],
      'all',
    )) as { id: string; book_id: string; chunk_index: number; page_start: number; page_end: number; section: string | null; text: string }[];
    return rows.map((r) => ({ id: r.id, bookId: r.book_id, index: r.chunk_index, pageStart: r.page_start, pageEnd: r.page_end, section: r.section, text: r.text }));
  }
}
