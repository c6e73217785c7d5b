import { readFileSync } from 'node:fs';
import { createRedis, createSubgraph, type Env, ingestBookQueue, loadConfig, Producer, type Redis, type RunningSubgraph } from '@ai-teacher/shared';
import DataLoader from 'dataloader';
import { parse } from 'graphql';
import { retrievalConfigSchema } from './config.ts';
import type { RetrievalContext } from './context.ts';
import { ormDefinition } from './database.ts';
import type { Ingestion } from './entities/ingestion.entity.ts';
import { ChunkRepository } from './repositories/chunk.repository.ts';
import { IngestionRepository } from './repositories/ingestion.repository.ts';
import { resolvers } from './resolvers/index.ts';
import { createRetrievalRuntime, type RetrievalRuntime } from './runtime.ts';
import { RetrievalService } from './services/retrieval.service.ts';

export const RETRIEVAL_DEFAULT_PORT = 4004;
export const retrievalTypeDefs = parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

/** Builds and starts the retrieval subgraph. `env` is merged over process.env. */
export async function startRetrievalSubgraph(env: Env = {}): Promise<RunningSubgraph> {
  const config = loadConfig(retrievalConfigSchema, env);
  let runtime: RetrievalRuntime | undefined;
  let producer: Producer<typeof ingestBookQueue extends { jobId(p: infer P): string } ? P : never> | undefined;
  let queueConnection: Redis | undefined;

  return createSubgraph<RetrievalContext>({
    name: 'retrieval',
    typeDefs: retrievalTypeDefs,
    resolvers: resolvers as never,
    orm: ormDefinition,
    defaultPort: RETRIEVAL_DEFAULT_PORT,
    uploadMaxBytes: config.UPLOAD_MAX_BYTES,
    env,
    async onStart(deps) {
      runtime = createRetrievalRuntime({ config, dataDir: deps.config.DATA_DIR, orm: deps.orm, redis: deps.redis, identitySecret: deps.identitySecret, service: 'retrieval' });
      queueConnection = createRedis(deps.config, 'queue');
      producer = new Producer(ingestBookQueue, queueConnection, deps.config.REDIS_KEY_PREFIX);
    },
    async onStop() {
      await producer?.close();
      queueConnection?.disconnect();
    },
    context(base) {
      const ingestions = new IngestionRepository(base.em);
      return {
        ...base,
        retrieval: new RetrievalService({
          identity: base.identity,
          runtime: runtime!,
          ingestions,
          chunks: new ChunkRepository(base.em),
          producer: producer!,
          logger: base.logger,
          requestId: base.requestId,
        }),
        ingestionLoader: new DataLoader<string, Ingestion | null>(async (ids) => {
          const rows = new Map((await ingestions.byBookIds(ids)).map((r) => [r.bookId, r]));
          return ids.map((id) => rows.get(id) ?? null);
        }),
      };
    },
  });
}
