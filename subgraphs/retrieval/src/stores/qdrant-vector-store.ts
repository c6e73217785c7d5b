import type { CourseScopeIds } from '@ai-teacher/academic/contracts';
import { ConfigError } from '@ai-teacher/shared';
import { QdrantClient } from '@qdrant/js-client-rest';
import type { RetrievalConfig } from '../config.ts';
import type { VectorHit, VectorPoint, VectorStore } from './vector-store.ts';

/** Payload keys every point carries; each gets a keyword index, the tenant keys with `is_tenant`. */
const SCOPE_KEYS = ['faculty_id', 'department_id', 'semester_id', 'course_id'] as const;

/**
 * Qdrant for scale: a collection sharded and replicated across the cluster, keyword payload
 * indexes on the scope keys (course as the tenant, so its points are stored together), a scope
 * filter on every query and `wait: true` on every write so an ingestion only reports READY once
 * its vectors are searchable.
 */
export class QdrantVectorStore implements VectorStore {
  readonly kind = 'qdrant' as const;
  private readonly client: QdrantClient;
  private readonly collection: string;
  private readonly shards: number;
  private readonly replication: number;
  private ready: Promise<void> | undefined;

  constructor(config: Pick<RetrievalConfig, 'QDRANT_URL' | 'QDRANT_API_KEY' | 'QDRANT_COLLECTION' | 'QDRANT_SHARDS' | 'QDRANT_REPLICATION'>) {
    if (!config.QDRANT_URL) throw new ConfigError(['QDRANT_URL: required when VECTOR_STORE=qdrant']);
    this.client = new QdrantClient({ url: config.QDRANT_URL, ...(config.QDRANT_API_KEY ? { apiKey: config.QDRANT_API_KEY } : {}), checkCompatibility: false });
    this.collection = config.QDRANT_COLLECTION;
    this.shards = config.QDRANT_SHARDS;
    this.replication = config.QDRANT_REPLICATION;
  }

  ensureReady(dimensions: number): Promise<void> {
    return (this.ready ??= this.create(dimensions).catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    }));
  }

  private async create(dimensions: number): Promise<void> {
    const { exists } = await this.client.collectionExists(this.collection);
    if (!exists) {
      await this.client.createCollection(this.collection, {
        vectors: { size: dimensions, distance: 'Cosine' },
        shard_number: this.shards,
        replication_factor: this.replication,
        write_consistency_factor: Math.min(2, this.replication),
      });
    }
    for (const key of [...SCOPE_KEYS, 'book_id'] as const) {
      await this.client.createPayloadIndex(this.collection, {
        field_name: key,
        field_schema: key === 'course_id' ? { type: 'keyword', is_tenant: true } : { type: 'keyword' },
        wait: true,
      });
    }
  }

  async upsert(points: VectorPoint[]): Promise<void> {
    for (let i = 0; i < points.length; i += 256) {
      await this.client.upsert(this.collection, {
        wait: true,
        points: points.slice(i, i + 256).map((p) => ({
          id: p.id,
          vector: p.vector,
          payload: {
            faculty_id: p.payload.facultyId,
            department_id: p.payload.departmentId,
            semester_id: p.payload.semesterId,
            course_id: p.payload.courseId,
            book_id: p.payload.bookId,
            generation: p.payload.generation,
          },
        })),
      });
    }
  }

  async deleteBook(bookId: string, keepGeneration: string | null): Promise<void> {
    await this.client.delete(this.collection, {
      wait: true,
      filter: {
        must: [{ key: 'book_id', match: { value: bookId } }],
        ...(keepGeneration ? { must_not: [{ key: 'generation', match: { value: keepGeneration } }] } : {}),
      },
    });
  }

  async search(scope: CourseScopeIds, vector: number[], limit: number): Promise<VectorHit[]> {
    // The whole trusted scope goes into the filter, course first (the tenant key).
    const res = await this.client.query(this.collection, {
      query: vector,
      limit,
      with_payload: false,
      filter: {
        must: [
          { key: 'course_id', match: { value: scope.courseId } },
          { key: 'semester_id', match: { value: scope.semesterId } },
          { key: 'department_id', match: { value: scope.departmentId } },
          { key: 'faculty_id', match: { value: scope.facultyId } },
        ],
      },
    });
    return res.points.map((p) => ({ id: String(p.id), score: p.score }));
  }
}
