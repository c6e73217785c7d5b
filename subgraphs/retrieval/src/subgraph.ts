import { contextBase, createSubgraph, defineSubgraph, type Env, loadSchema, type RunningSubgraph } from '@ai-teacher/shared';
import DataLoader from 'dataloader';
import type { Ingestion } from './entities/ingestion.entity.ts';
import { internalRoutes } from './internal-routes.ts';
import { ChunkRepository } from './repositories/chunk.repository.ts';
import { IngestionRepository } from './repositories/ingestion.repository.ts';
import { resolvers } from './resolvers/index.ts';
import { retrievalService } from './service.ts';
import { RetrievalService } from './services/retrieval.service.ts';

export const retrievalSubgraph = defineSubgraph({
  service: retrievalService,
  defaultPort: 4004,
  typeDefs: loadSchema(import.meta.url),
  resolvers,
  internalRoutes,
  uploadMaxBytes: (config) => config.UPLOAD_MAX_BYTES,
  context(request, services) {
    const ingestions = new IngestionRepository(request.em);
    return {
      ...contextBase(request),
      retrieval: new RetrievalService({
        identity: request.identity,
        runtime: services.runtime,
        ingestions,
        chunks: new ChunkRepository(request.em),
        producer: services.ingestions(),
        logger: request.logger,
        requestId: request.requestId,
      }),
      ingestionLoader: new DataLoader<string, Ingestion | null>(async (ids) => {
        const rows = new Map((await ingestions.byBookIds(ids)).map((r) => [r.bookId, r]));
        return ids.map((id) => rows.get(id) ?? null);
      }),
    };
  },
});

/** Starts the retrieval subgraph. `env` is merged over process.env. */
export function startRetrievalSubgraph(env: Env = {}): Promise<RunningSubgraph> {
  return createSubgraph(retrievalSubgraph, env);
}

export default retrievalSubgraph;
