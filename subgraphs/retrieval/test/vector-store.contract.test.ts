// One contract for every vector store: run against Postgres always, against the Qdrant HTTP
// double always, and against a live Qdrant whenever QDRANT_URL is set.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PostgresVectorStore } from '../src/stores/postgres-vector-store.ts';
import { QdrantVectorStore } from '../src/stores/qdrant-vector-store.ts';
import type { ChunkPayload, VectorStore } from '../src/stores/vector-store.ts';
import { QdrantDouble } from './qdrant-double.ts';
import { useRetrievalDatabase } from './database.ts';

const DIM = 8;
const unit = (seed: number) => {
  const v = Array.from({ length: DIM }, (_, i) => Math.sin(seed * (i + 1)));
  const n = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
  return v.map((x) => x / n);
};
const scopeOf = (course: string) => ({ courseId: course, semesterId: randomUUID(), departmentId: randomUUID(), facultyId: randomUUID() });

function contract(name: string, make: () => Promise<{ store: VectorStore; done(): Promise<void> }>) {
  describe(`${name} vector store`, () => {
    let store: VectorStore;
    let done: () => Promise<void>;
    const courseA = scopeOf(randomUUID());
    const courseB = scopeOf(randomUUID());
    const bookA = randomUUID();
    const bookB = randomUUID();
    const ids = { a1: randomUUID(), a2: randomUUID(), a3: randomUUID(), b1: randomUUID() };
    const payload = (scope: ReturnType<typeof scopeOf>, bookId: string, generation: string): ChunkPayload => ({ ...scope, bookId, generation });

    beforeAll(async () => {
      ({ store, done } = await make());
      await store.ensureReady(DIM);
      await store.ensureReady(DIM); // idempotent
      await store.upsert([
        { id: ids.a1, vector: unit(1), payload: payload(courseA, bookA, 'g1') },
        { id: ids.a2, vector: unit(2), payload: payload(courseA, bookA, 'g1') },
        { id: ids.b1, vector: unit(1), payload: payload(courseB, bookB, 'g1') },
      ]);
    });
    afterAll(async () => done());

    it('finds the nearest vectors, best first, within the course only', async () => {
      const hits = await store.search(courseA, unit(1), 10);
      expect(hits.map((h) => h.id)).toEqual([ids.a1, ids.a2]);
      expect(hits[0]!.score).toBeCloseTo(1, 5);
      expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
      expect((await store.search(courseB, unit(1), 10)).map((h) => h.id)).toEqual([ids.b1]);
    });

    it('honours the limit', async () => {
      expect(await store.search(courseA, unit(2), 1)).toHaveLength(1);
    });

    it('replacing a book keeps only the new generation; other books are untouched', async () => {
      await store.upsert([{ id: ids.a3, vector: unit(3), payload: payload(courseA, bookA, 'g2') }]);
      await store.deleteBook(bookA, 'g2');
      expect((await store.search(courseA, unit(1), 10)).map((h) => h.id)).toEqual([ids.a3]);
      expect((await store.search(courseB, unit(1), 10)).map((h) => h.id)).toEqual([ids.b1]);
      await store.deleteBook(bookA, null);
      expect(await store.search(courseA, unit(1), 10)).toEqual([]);
    });
  });
}

const database = useRetrievalDatabase();
const orm = () => database.orm();

contract('postgres', async () => ({ store: new PostgresVectorStore(orm()), done: async () => undefined }));

describe('postgres vector store across processes', () => {
  // The worker writes, the subgraph reads: the reader's cached course vectors must never be stale.
  it('a reader sees another process’s writes and deletions on its next search', async () => {
    const reader = new PostgresVectorStore(orm());
    const writer = new PostgresVectorStore(orm());
    const course = scopeOf(randomUUID());
    const book = randomUUID();
    const [x, y] = [randomUUID(), randomUUID()];
    await writer.upsert([{ id: x, vector: unit(1), payload: { ...course, bookId: book, generation: 'g1' } }]);
    expect((await reader.search(course, unit(2), 10)).map((h) => h.id)).toEqual([x]);
    await writer.upsert([{ id: y, vector: unit(2), payload: { ...course, bookId: book, generation: 'g2' } }]);
    expect((await reader.search(course, unit(2), 10)).map((h) => h.id)).toEqual([y, x]);
    await writer.deleteBook(book, 'g2');
    expect((await reader.search(course, unit(2), 10)).map((h) => h.id)).toEqual([y]);
  });

  it('vectors of another dimension (an earlier embedding model) are ignored, not mis-scored', async () => {
    const store = new PostgresVectorStore(orm());
    const course = scopeOf(randomUUID());
    const [old, current] = [randomUUID(), randomUUID()];
    await store.upsert([
      { id: old, vector: [1, 0, 0, 0], payload: { ...course, bookId: randomUUID(), generation: 'g1' } },
      { id: current, vector: unit(3), payload: { ...course, bookId: randomUUID(), generation: 'g1' } },
    ]);
    expect((await store.search(course, unit(3), 10)).map((h) => h.id)).toEqual([current]);
  });

  it('scores are cosines of the stored float32 vectors', async () => {
    const store = new PostgresVectorStore(orm());
    const course = scopeOf(randomUUID());
    const id = randomUUID();
    await store.upsert([{ id, vector: unit(4), payload: { ...course, bookId: randomUUID(), generation: 'g1' } }]);
    const [hit] = await store.search(course, unit(4), 1);
    expect(hit!.score).toBeCloseTo(1, 5);
  });
});

const qdrantConfig = (url: string, collection: string) => ({ QDRANT_URL: url, QDRANT_API_KEY: undefined, QDRANT_COLLECTION: collection, QDRANT_SHARDS: 4, QDRANT_REPLICATION: 2 });
const double = new QdrantDouble();
contract('qdrant (HTTP double)', async () => {
  await double.start();
  return { store: new QdrantVectorStore(qdrantConfig(double.url, 'contract')), done: () => double.stop() };
});

describe('what Qdrant receives', () => {
  it('a collection with 4 shards, replication 2, cosine distance', () => {
    const create = double.requests.find((r) => r.method === 'PUT' && r.path === '/collections/contract');
    expect(create?.body).toMatchObject({ vectors: { size: DIM, distance: 'Cosine' }, shard_number: 4, replication_factor: 2 });
    expect(double.requests.filter((r) => r.method === 'PUT' && r.path === '/collections/contract')).toHaveLength(1);
  });

  it('keyword payload indexes on every scope key, the course as tenant', () => {
    const indexes = Object.fromEntries(double.requests.filter((r) => r.path.endsWith('/index')).map((r) => [(r.body as { field_name: string }).field_name, (r.body as { field_schema: unknown }).field_schema]));
    expect(indexes).toMatchObject({
      course_id: { type: 'keyword', is_tenant: true },
      semester_id: { type: 'keyword' },
      department_id: { type: 'keyword' },
      faculty_id: { type: 'keyword' },
      book_id: { type: 'keyword' },
    });
  });

  it('every write waits, and every query carries the full scope filter', () => {
    const writes = double.requests.filter((r) => r.path.endsWith('/points') || r.path.endsWith('/points/delete') || r.path.endsWith('/index'));
    expect(writes.length).toBeGreaterThan(5);
    for (const w of writes) expect(w.query.get('wait')).toBe('true');
    const queries = double.requests.filter((r) => r.path.endsWith('/points/query'));
    expect(queries.length).toBeGreaterThan(3);
    for (const q of queries) {
      const keys = ((q.body as { filter: { must: { key: string }[] } }).filter.must ?? []).map((c) => c.key).sort();
      expect(keys).toEqual(['course_id', 'department_id', 'faculty_id', 'semester_id']);
    }
  });
});

if (process.env.QDRANT_URL) {
  contract('qdrant (live)', async () => ({
    store: new QdrantVectorStore({ ...qdrantConfig(process.env.QDRANT_URL!, `contract_${Date.now()}`), QDRANT_API_KEY: process.env.QDRANT_API_KEY, QDRANT_SHARDS: 1, QDRANT_REPLICATION: 1 }),
    done: async () => undefined,
  }));
}
