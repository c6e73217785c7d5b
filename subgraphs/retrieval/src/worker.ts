import { createLogger, createOrm, createRedis, type Env, ingestBookQueue, loadConfig, type WorkerDefinition, workerConfigSchema, resolveIdentitySecret, identitySchema } from '@ai-teacher/shared';
import { retrievalConfigSchema } from './config.ts';
import { ormDefinition } from './database.ts';
import { ingestBook } from './ingest/ingest-book.ts';
import { createRetrievalRuntime } from './runtime.ts';

/** The ingest-book consumer, with its own ORM and Redis client; `close()` releases them. */
export async function createIngestBookWorker(env: Env = {}): Promise<WorkerDefinition<never> & { close(): Promise<void> }> {
  const base = loadConfig(workerConfigSchema.extend(identitySchema.shape), env);
  const config = loadConfig(retrievalConfigSchema, env);
  const logger = createLogger('ingest-book', base.LOG_LEVEL);
  const orm = await createOrm(ormDefinition, base, logger);
  const redis = createRedis(base, 'client');
  const runtime = createRetrievalRuntime({ config, dataDir: base.DATA_DIR, orm, redis, identitySecret: resolveIdentitySecret(base, base), service: 'ingest-book' });
  return {
    queue: ingestBookQueue as never,
    // PDF parsing is CPU-bound: one book at a time per worker process; scale with processes.
    concurrency: 1,
    process: (job) => ingestBook(job as never, { orm, runtime, logger }),
    async close() {
      await orm.close();
      redis.disconnect();
    },
  };
}
