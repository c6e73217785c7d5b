import {
  createLogger,
  createOrm,
  createRedis,
  type Env,
  identitySchema,
  ingestBookQueue,
  loadConfig,
  purgeBookQueue,
  resolveIdentitySecret,
  type WorkerDefinition,
  workerConfigSchema,
} from '@ai-teacher/shared';
import { retrievalConfigSchema } from './config.ts';
import { ormDefinition } from './database.ts';
import { ingestBook } from './ingest/ingest-book.ts';
import { purgeBook } from './ingest/purge-book.ts';
import { createRetrievalRuntime } from './runtime.ts';

/**
 * Retrieval's queue consumers — ingest-book and purge-book — sharing one ORM and Redis client;
 * the first definition's `close()` releases them (workers are closed before definitions).
 */
export async function createRetrievalWorkers(env: Env = {}): Promise<WorkerDefinition<never>[]> {
  const base = loadConfig(workerConfigSchema.extend(identitySchema.shape), env);
  const config = loadConfig(retrievalConfigSchema, env);
  const logger = createLogger('retrieval-worker', base.LOG_LEVEL);
  const orm = await createOrm(ormDefinition, base, logger);
  const redis = createRedis(base, 'client');
  const runtime = createRetrievalRuntime({ config, dataDir: base.DATA_DIR, orm, redis, identitySecret: resolveIdentitySecret(base, base), service: 'retrieval-worker' });
  const deps = { orm, runtime, logger };
  return [
    {
      queue: ingestBookQueue as never,
      // PDF parsing is CPU-bound: one book at a time per worker process; scale with processes.
      concurrency: 1,
      process: (job) => ingestBook(job as never, deps),
      async close() {
        await orm.close();
        redis.disconnect();
      },
    },
    { queue: purgeBookQueue as never, concurrency: 2, process: (job) => purgeBook(job as never, deps) },
  ];
}
