import { Redis, type RedisOptions } from 'ioredis';
import type { RedisConfig } from './config.ts';

export type { Redis };

/**
 * `client` connections fail fast when Redis is away (requests should error, not hang); BullMQ
 * workers need `maxRetriesPerRequest: null` and block on their connection, so they get their own.
 * BullMQ prefixes its keys itself, so worker connections get no ioredis keyPrefix.
 */
export function createRedis(config: RedisConfig, role: 'client' | 'worker' | 'queue' = 'client', extra: RedisOptions = {}): Redis {
  const options: RedisOptions =
    role === 'client'
      ? { keyPrefix: config.REDIS_KEY_PREFIX, maxRetriesPerRequest: 2, enableOfflineQueue: true, connectTimeout: 5_000 }
      : { maxRetriesPerRequest: role === 'worker' ? null : 2, enableReadyCheck: role !== 'worker', connectTimeout: 5_000 };
  return new Redis(config.REDIS_URL, { lazyConnect: false, ...options, ...extra });
}

/** PING with a timeout, for readiness checks. */
export async function pingRedis(redis: Redis, timeoutMs = 1_000): Promise<boolean> {
  try {
    const reply = await Promise.race([
      redis.ping(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs).unref()),
    ]);
    return reply === 'PONG';
  } catch {
    return false;
  }
}
