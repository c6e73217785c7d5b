import { createHash } from 'node:crypto';
import type { CourseScopeIds } from '@ai-teacher/academic/contracts';
import type { EntityManager } from '@ai-teacher/shared';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { VectorHit, VectorPoint, VectorStore } from './vector-store.ts';

/** A course's vectors, decoded into one matrix (row i = ids[i]). */
interface CourseMatrix {
  fingerprint: string;
  ids: string[];
  dimensions: number;
  data: Float32Array;
}

/** Packed float32, big-endian (the byte order of Postgres' own `float4send`). */
export function packVector(vector: number[]): Buffer {
  const buf = Buffer.allocUnsafe(vector.length * 4);
  vector.forEach((x, i) => buf.writeFloatBE(x, i * 4));
  return buf;
}

/**
 * Vectors in Postgres without extensions: a `bytea` of packed float32 per passage. A search reads
 * the course's vectors (cached in this process, checked against the table on every search so that
 * a newly ingested book is seen at once) and computes exact dot products here — vectors are unit
 * length, so that is the cosine. Postgres cannot do this arithmetic fast without an extension
 * (unnesting `real[]` took ~55 ms for 256 vectors of 1024 dimensions); a course has hundreds to a
 * few thousand passages, which this scores in a millisecond or two. Beyond that, use Qdrant.
 */
export class PostgresVectorStore implements VectorStore {
  readonly kind = 'postgres' as const;
  private readonly orm: MikroORM;
  private readonly cacheBytes: number;
  /** Least recently used first (Map keeps insertion order; a hit re-inserts). */
  private readonly cache = new Map<string, CourseMatrix>();
  private cachedBytes = 0;

  constructor(orm: MikroORM, opts: { cacheBytes?: number } = {}) {
    this.orm = orm;
    this.cacheBytes = opts.cacheBytes ?? 256 * 1024 * 1024;
  }

  private em(): EntityManager {
    return this.orm.em.fork();
  }

  async ensureReady(): Promise<void> {
    // The table comes with the retrieval migrations.
  }

  async upsert(points: VectorPoint[]): Promise<void> {
    if (!points.length) return;
    const rows = points.map((p) => ({ chunk_id: p.id, book_id: p.payload.bookId, generation: p.payload.generation, course_id: p.payload.courseId, vector: packVector(p.vector).toString('base64') }));
    await this.em()
      .getConnection()
      .execute(
        `insert into retrieval.chunk_vectors (chunk_id, book_id, generation, course_id, vector)
         select x.chunk_id, x.book_id, x.generation, x.course_id, decode(x.vector, 'base64')
         from jsonb_to_recordset(?::jsonb) as x(chunk_id uuid, book_id uuid, generation text, course_id uuid, vector text)
         on conflict (chunk_id) do update set vector = excluded.vector, generation = excluded.generation`,
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
    const m = await this.matrix(scope.courseId, vector.length);
    const q = Float32Array.from(vector);
    const scores = new Float32Array(m.ids.length);
    for (let r = 0, off = 0; r < m.ids.length; r++, off += m.dimensions) {
      let s = 0;
      for (let j = 0; j < m.dimensions; j++) s += m.data[off + j]! * q[j]!;
      scores[r] = s;
    }
    return [...scores.keys()]
      .sort((a, b) => scores[b]! - scores[a]! || (m.ids[a]! < m.ids[b]! ? -1 : 1))
      .slice(0, limit)
      .map((r) => ({ id: m.ids[r]!, score: scores[r]! }));
  }

  /**
   * The course's vectors of this dimension. Every row's id and `xmin` (the transaction that wrote
   * it) make the fingerprint: any insert, update or delete changes it, so a cached matrix is used
   * only while it is exactly what the table holds.
   */
  private async matrix(courseId: string, dimensions: number): Promise<CourseMatrix> {
    const conn = this.em().getConnection();
    const key = `${courseId}:${dimensions}`;
    const cached = this.cache.get(key);
    if (cached) {
      const [row] = (await conn.execute(
        `select coalesce(md5(string_agg(chunk_id::text || ':' || xmin::text, ',' order by chunk_id)), '') as fp
         from retrieval.chunk_vectors where course_id = ? and octet_length(vector) = ?`,
        [courseId, dimensions * 4],
        'all',
      )) as { fp: string }[];
      if (row?.fp === cached.fingerprint) {
        this.cache.delete(key);
        this.cache.set(key, cached);
        return cached;
      }
    }
    const rows = (await conn.execute(
      `select chunk_id::text as id, xmin::text as x, vector from retrieval.chunk_vectors
       where course_id = ? and octet_length(vector) = ? order by chunk_id`,
      [courseId, dimensions * 4],
      'all',
    )) as { id: string; x: string; vector: Buffer }[];
    const data = new Float32Array(rows.length * dimensions);
    rows.forEach((r, i) => {
      for (let j = 0; j < dimensions; j++) data[i * dimensions + j] = r.vector.readFloatBE(j * 4);
    });
    const fingerprint = rows.length ? md5(rows.map((r) => `${r.id}:${r.x}`).join(',')) : '';
    const m: CourseMatrix = { fingerprint, ids: rows.map((r) => r.id), dimensions, data };
    this.remember(key, m);
    return m;
  }

  private remember(key: string, m: CourseMatrix): void {
    const old = this.cache.get(key);
    if (old) {
      this.cachedBytes -= old.data.byteLength;
      this.cache.delete(key);
    }
    if (m.data.byteLength > this.cacheBytes) return;
    this.cache.set(key, m);
    this.cachedBytes += m.data.byteLength;
    for (const [k, v] of this.cache) {
      if (this.cachedBytes <= this.cacheBytes) break;
      this.cache.delete(k);
      this.cachedBytes -= v.data.byteLength;
    }
  }
}

function md5(s: string): string {
  return createHash('md5').update(s).digest('hex');
}
