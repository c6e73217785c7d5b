import type { CourseScopeIds } from '@ai-teacher/academic/contracts';

/** What travels with every vector, so a search can be confined to one course (or wider scopes). */
export interface ChunkPayload extends CourseScopeIds {
  bookId: string;
  /** SHA-256 of the file the chunk came from: old and new versions of a book never mix. */
  generation: string;
}

export interface VectorPoint {
  id: string;
  vector: number[];
  payload: ChunkPayload;
}

export interface VectorHit {
  id: string;
  score: number;
}

/**
 * One interface, two stores: `postgres` (the default; the same database, exact cosine) and
 * `qdrant` (sharded, replicated, payload-indexed, for scale). Every search is filtered by the
 * trusted course scope; nothing here accepts a scope from a client.
 */
export interface VectorStore {
  readonly kind: 'postgres' | 'qdrant';
  ensureReady(dimensions: number): Promise<void>;
  upsert(points: VectorPoint[]): Promise<void>;
  /** Removes a book's vectors except those of `keepGeneration` (null: all of them). */
  deleteBook(bookId: string, keepGeneration: string | null): Promise<void>;
  search(scope: CourseScopeIds, vector: number[], limit: number): Promise<VectorHit[]>;
}
