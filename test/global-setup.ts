// Fails fast, with a useful message, when the services the suite talks to are not there.
import { Redis } from 'ioredis';
import pg from 'pg';
import { TEST_ADMIN_DATABASE_URL, TEST_REDIS_URL } from '../shared/src/testing/index.ts';

export default async function globalSetup(): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_ADMIN_DATABASE_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.end();
  } catch (err) {
    throw new Error(`Tests need Postgres at ${TEST_ADMIN_DATABASE_URL} (set TEST_DATABASE_URL): ${(err as Error).message}`);
  }
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw new Error(`Tests need Redis at ${TEST_REDIS_URL} (set TEST_REDIS_URL): ${(err as Error).message}`);
  } finally {
    redis.disconnect();
  }
}
