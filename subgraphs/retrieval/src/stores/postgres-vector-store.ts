import type { CourseScopeIds, EntityManager } from '@ai-teacher/shared';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { VectorHit, VectorPoint, VectorStore } from './vector-store.ts';

/**
 * Vectors in Postgres without extensions: `real[]` columns and an exact dot product (vectors are
 * unit length, so that is the cosine) over the course's rows only. A course has hundreds to a few
 * thousand passages, which this scans in milliseconds; beyond that, use Qdrant.
 */
export class PostgresVectorStore implements VectorStore {
  readonly kind = 'postgres' as const;
  private readonly orm: MikroORM;
  constructor(orm: MikroORM) {
    this.orm = orm;
  }

  private em(): EntityManager {
    return this.orm.em.fork();
  }

  async ensureReady(): Promise<void> {
    // The table comes with the retrieval migrations.
  }

  async upsert(points: VectorPoint[]): Promise<void> {
    if (!points.length) return;
    const rows = points.map((p) => ({ chunk_id: p.id, book_id: p.payload.bookId, generation: p.payload.generation, course_id: p.payload.courseId, embedding: p.vector }));
    await this.em()
      .getConnection()
      .execute(
        `insert into retrieval.chunk_vectors (chunk_id, book_id, generation, course_id, embedding)
         select x.chunk_id, x.book_id, x.generation, x.course_id, array(select jsonb_array_elements_text(x.embedding)::real)
         from jsonb_to_recordset(?::jsonb) as x(chunk_id uuid, book_id uuid, generation text, course_id uuid, embedding jsonb)
         on conflict (chunk_id) do update set embedding = excluded.embedding`,
        [JSON.stringify(rows)],
        'run',
      );
  }

  async deleteBook(bookId: string, keepGeneration: string | null): Promise<void> {
    await this.em()
      .getConnection()
      .execute(`delete from retrieval.chunk_vectors where book_id = ? and (?::text is null or generation <> ?)`, [bookId, keepGeneration, keepGeneration], 'run');
  }

  async search(scope: CourseScopeIds, vector: number[], limit: number): Promise<VectorHit[]> {
    const rows = (await this.em()
      .getConnection()
      .execute(
        `with q as (select array(select jsonb_array_elements_text(?::jsonb)::real) as v)
         select v.chunk_id as id, (select sum(a * b) from unnest(v.embedding, q.v) as t(a, b)) as score
         from retrieval.chunk_vectors v, q
         where v.course_id = ?
         order by score desc
         limit ?`,
        [JSON.stringify(vector), scope.courseId, limit],
        'all',
      )) as { id: string; score: number }[];
    return rows.map((r) => ({ id: r.id, score: Number(r.score) }));
  }
}
