import { z } from 'zod';
import { zc } from '@ai-teacher/shared';

export const retrievalConfigSchema = z.object({
  /** Base URL of the academic subgraph's internal API (course scope, book → course). */
  ACADEMIC_INTERNAL_URL: z.url().default('http://127.0.0.1:4002'),
  UPLOAD_MAX_BYTES: z.coerce.number().int().positive().default(100 * 1024 * 1024),
  /** `local` (a directory, BLOB_DIR) or `s3` (any S3-compatible service, S3_* settings). */
  BLOB_STORE: z.enum(['local', 's3']).default('local'),
  /** Default: DATA_DIR/blobs. */
  BLOB_DIR: z.string().optional(),
  S3_ENDPOINT: z.url().optional(),
  S3_REGION: z.string().default('us-east-1'),
  S3_BUCKET: z.string().optional(),
  S3_ACCESS_KEY_ID: z.string().optional(),
  S3_SECRET_ACCESS_KEY: z.string().optional(),
  S3_FORCE_PATH_STYLE: zc.bool.default(true),
  INGEST_MAX_PAGES: z.coerce.number().int().positive().default(2000),
  INGEST_MAX_CHARS: z.coerce.number().int().positive().default(20_000_000),
  /**
   * PDF text extraction runs in a worker thread: its JS heap (MB), its time for the whole file and
   * for opening it and each page (ms). Past any of them the ingestion ends FAILED with the reason
   * (not retried). The 200-page Python textbook needs about 2 s and under 64 MB.
   */
  INGEST_MAX_HEAP_MB: z.coerce.number().int().positive().default(512),
  INGEST_TIMEOUT_MS: z.coerce.number().int().positive().default(10 * 60_000),
  INGEST_PAGE_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
  /** OpenAI-compatible embeddings endpoint; unset = the offline hashing embedder. */
  EMBEDDINGS_BASE_URL: z.url().optional(),
  EMBEDDINGS_MODEL: z.string().default('text-embedding-3-small'),
  EMBEDDINGS_API_KEY: z.string().optional(),
  /** Dimensions of the offline hashing embedder (more dimensions, fewer feature collisions). */
  EMBEDDINGS_LOCAL_DIMENSIONS: z.coerce.number().int().min(64).max(16384).default(4096),
  EMBEDDINGS_BATCH_SIZE: z.coerce.number().int().positive().default(64),
  EMBEDDINGS_CACHE_TTL: zc.seconds.default(24 * 3600),
  /** Passage embeddings cached in Redis at most (all processes together, per EMBEDDINGS_CACHE_TTL window). */
  EMBEDDINGS_CACHE_MAX_MB: z.coerce.number().min(0).default(64),
  /** Search-query embeddings cached in each retrieval process's memory (never in Redis). */
  EMBEDDINGS_QUERY_CACHE_MB: z.coerce.number().min(0).default(16),
  /** `postgres` (default, no extra server) or `qdrant` (QDRANT_URL). */
  VECTOR_STORE: z.enum(['postgres', 'qdrant']).default('postgres'),
  /** Memory for decoded course vectors in each retrieval process (postgres store). */
  VECTOR_CACHE_MB: z.coerce.number().int().min(0).default(256),
  QDRANT_URL: z.url().optional(),
  QDRANT_API_KEY: z.string().optional(),
  QDRANT_COLLECTION: z.string().default('course_chunks'),
  QDRANT_SHARDS: z.coerce.number().int().positive().default(4),
  QDRANT_REPLICATION: z.coerce.number().int().positive().default(2),
  /** How often the outbox relay looks for events (BOOK_READY, BOOK_FAILED) a crashed process left behind. */
  OUTBOX_RELAY_INTERVAL_MS: z.coerce.number().int().min(100).default(5_000),
});
export type RetrievalConfig = z.infer<typeof retrievalConfigSchema>;
