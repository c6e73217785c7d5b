import { join } from 'node:path';
import type { CoreConfig, ServiceDeps } from '@ai-teacher/shared';
import { CourseScopeClient } from '@ai-teacher/academic/contracts';
import { type BlobStore, LocalBlobStore } from './blob/blob-store.ts';
import { S3BlobStore } from './blob/s3-blob-store.ts';
import type { RetrievalConfig } from './config.ts';
import { CachedEmbedder, type Embedder } from './embeddings/embedder.ts';
import { LocalHashingEmbedder } from './embeddings/local-embedder.ts';
import { OpenAIEmbedder } from './embeddings/openai-embedder.ts';
import { PostgresVectorStore } from './stores/postgres-vector-store.ts';
import { QdrantVectorStore } from './stores/qdrant-vector-store.ts';
import type { VectorStore } from './stores/vector-store.ts';

/** What the retrieval subgraph and its workers share: storage, embeddings, vectors, scope. */
export interface RetrievalRuntime {
  config: CoreConfig & RetrievalConfig;
  blobs: BlobStore;
  embedder: Embedder;
  vectors: VectorStore;
  scope: CourseScopeClient;
}

export function createRetrievalRuntime(deps: ServiceDeps<RetrievalConfig>): RetrievalRuntime {
  const { config } = deps;
  const blobs: BlobStore =
    config.BLOB_STORE === 's3'
      ? new S3BlobStore(config)
      : new LocalBlobStore(config.BLOB_DIR ?? join(config.DATA_DIR, 'blobs'));
  const inner: Embedder = config.EMBEDDINGS_BASE_URL
    ? new OpenAIEmbedder({ baseURL: config.EMBEDDINGS_BASE_URL, model: config.EMBEDDINGS_MODEL, apiKey: config.EMBEDDINGS_API_KEY, batchSize: config.EMBEDDINGS_BATCH_SIZE })
    : new LocalHashingEmbedder(config.EMBEDDINGS_LOCAL_DIMENSIONS);
  const vectors: VectorStore = config.VECTOR_STORE === 'qdrant' ? new QdrantVectorStore(config) : new PostgresVectorStore(deps.orm, { cacheBytes: config.VECTOR_CACHE_MB * 1024 * 1024 });
  const scope = new CourseScopeClient(deps.internal(config.ACADEMIC_INTERNAL_URL), deps.redis);
  return { config, blobs, embedder: new CachedEmbedder(inner, deps.redis, config.EMBEDDINGS_CACHE_TTL, { queryMemoryBytes: config.EMBEDDINGS_QUERY_CACHE_MB * 1024 * 1024, redisBytes: config.EMBEDDINGS_CACHE_MAX_MB * 1024 * 1024 }), vectors, scope };
}
