import { join } from 'node:path';
import { CourseScopeClient, InternalClient, type MikroORM, type Redis } from '@ai-teacher/shared';
import { type BlobStore, LocalBlobStore } from './blob/blob-store.ts';
import { S3BlobStore } from './blob/s3-blob-store.ts';
import type { RetrievalConfig } from './config.ts';
import { CachedEmbedder, type Embedder } from './embeddings/embedder.ts';
import { LocalHashingEmbedder } from './embeddings/local-embedder.ts';
import { OpenAIEmbedder } from './embeddings/openai-embedder.ts';
import { PostgresVectorStore } from './stores/postgres-vector-store.ts';
import { QdrantVectorStore } from './stores/qdrant-vector-store.ts';
import type { VectorStore } from './stores/vector-store.ts';

/** What the retrieval subgraph and the ingest worker share: storage, embeddings, vectors, scope. */
export interface RetrievalRuntime {
  config: RetrievalConfig;
  blobs: BlobStore;
  embedder: Embedder;
  vectors: VectorStore;
  scope: CourseScopeClient;
}

export function createRetrievalRuntime(opts: { config: RetrievalConfig; dataDir: string; orm: MikroORM; redis: Redis; identitySecret: string; service: string }): RetrievalRuntime {
  const { config } = opts;
  const blobs: BlobStore =
    config.BLOB_STORE === 's3'
      ? new S3BlobStore(config)
      : new LocalBlobStore(config.BLOB_DIR ?? join(opts.dataDir, 'blobs'));
  const inner: Embedder = config.EMBEDDINGS_BASE_URL
    ? new OpenAIEmbedder({ baseURL: config.EMBEDDINGS_BASE_URL, model: config.EMBEDDINGS_MODEL, apiKey: config.EMBEDDINGS_API_KEY, batchSize: config.EMBEDDINGS_BATCH_SIZE })
    : new LocalHashingEmbedder(config.EMBEDDINGS_LOCAL_DIMENSIONS);
  const vectors: VectorStore = config.VECTOR_STORE === 'qdrant' ? new QdrantVectorStore(config) : new PostgresVectorStore(opts.orm, { cacheBytes: config.VECTOR_CACHE_MB * 1024 * 1024 });
  const scope = new CourseScopeClient(new InternalClient({ secret: opts.identitySecret, service: opts.service, baseUrl: config.ACADEMIC_INTERNAL_URL }), opts.redis);
  return { config, blobs, embedder: new CachedEmbedder(inner, opts.redis, config.EMBEDDINGS_CACHE_TTL), vectors, scope };
}
