import { readFileSync } from 'node:fs';
import {
  AppError,
  createRedis,
  createSubgraph,
  type Env,
  ingestBookQueue,
  loadConfig,
  parseInput,
  Producer,
  type Redis,
  requireServiceProof,
  type RunningSubgraph,
} from '@ai-teacher/shared';
import express from 'express';
import { z } from 'zod';
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
import { searchPassages } from './search/search.ts';
import { RetrievalService } from './services/retrieval.service.ts';

export const RETRIEVAL_DEFAULT_PORT = 4004;
const internalSearchInput = z.object({ courseId: z.uuid(), query: z.string().trim().min(1).max(2000), limit: z.number().int().min(1).max(20).default(6) });

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
    routes(app, deps) {
      // The tutor's grounding: a course-scoped search for a user the tutor has already authorised,
      // plus the version of every searchable book (answers are cached per book versions).
      app.post('/internal/search', requireServiceProof(deps.identitySecret), express.json(), async (req, res, next) => {
        try {
          const { courseId, query, limit } = parseInput(internalSearchInput, req.body);
          const course = await runtime!.scope.course(courseId);
          if (!course) return void res.json({ course: null, passages: [], books: [] });
          const em = deps.orm.em.fork();
          const [passages, books] = await Promise.all([searchPassages(runtime!, new ChunkRepository(em), course, query, limit), new IngestionRepository(deps.orm.em.fork()).readyOfCourse(courseId)]);
          res.json({ course, passages, books });
        } catch (err) {
          if (err instanceof AppError) return void res.status(400).json({ error: err.message });
          next(err);
        }
      });
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
