import { readFileSync } from 'node:fs';
import { contextBase, createSubgraph, defineSubgraph, type Env, type RunningSubgraph } from '@ai-teacher/shared';
import DataLoader from 'dataloader';
import { parse } from 'graphql';
import type { Ingestion } from './entities/ingestion.entity.ts';
import { internalRoutes } from './internal-routes.ts';
import { ChunkRepository } from './repositories/chunk.repository.ts';
import { IngestionRepository } from './repositories/ingestion.repository.ts';
import { resolvers } from './resolvers/index.ts';
import { retrievalService } from './service.ts';
import { RetrievalService } from './services/retrieval.service.ts';

export const RETRIEVAL_DEFAULT_PORT = 4004;
export const retrievalTypeDefs = parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

export const retrievalSubgraph = defineSubgraph({
  service: retrievalService,
  defaultPort: RETRIEVAL_DEFAULT_PORT,
  typeDefs: retrievalTypeDefs,
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
