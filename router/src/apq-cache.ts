// Automatic persisted queries (APQ) in the router's Redis, so an operation a client registered on
// one replica is found by hash on every other (Apollo Server's default cache is in each process's
// memory). Keys: `<REDIS_KEY_PREFIX>apq:<sha256>` (Apollo adds the `apq:`; the client's keyPrefix
// adds the deployment's prefix), each with a TTL (APQ_TTL_SECONDS).
//
// Apollo's `KeyValueCache` is three methods, so it is implemented here over the router's existing
// ioredis client rather than with @apollo/utils.keyvadapter + keyv + @keyv/redis: those three
// packages would open a second Redis connection through another client library (node-redis), with
// its own prefix, timeouts and reconnection settings to keep in line with `createRedis`.
import { type Logger, type Redis, RedisByteBudget } from '@ai-teacher/shared/core';
import type { KeyValueCache, KeyValueCacheSetOptions } from '@apollo/utils.keyvaluecache';

/**
 * Longest operation text stored. The token limit (OP_MAX_TOKENS) keeps real operations far below
 * it, but a long string literal is one token; such an operation still runs, it is just not stored
 * (the client keeps sending its text), so nobody can fill Redis with a few huge entries.
 */
export const APQ_MAX_ENTRY_BYTES = 64 * 1024;

export class RedisApqCache implements KeyValueCache<string> {
  private readonly redis: Redis;
  private readonly ttlSeconds: number;
  private readonly logger: Logger;
  /** Every distinct valid operation a client registers is an entry: all of them together stay within `maxBytes`. */
  private readonly budget: RedisByteBudget;

  constructor(opts: { redis: Redis; ttlSeconds: number; maxBytes: number; logger: Logger }) {
    this.redis = opts.redis;
    this.ttlSeconds = opts.ttlSeconds;
    this.logger = opts.logger;
    this.budget = new RedisByteBudget(opts.redis, { name: 'apq', ttlSeconds: opts.ttlSeconds, maxBytes: opts.maxBytes });
  }

  async get(key: string): Promise<string | undefined> {
    try {
      return (await this.redis.get(key)) ?? undefined;
    } catch (err) {
      // Without Redis the client gets PERSISTED_QUERY_NOT_FOUND and sends the text: it still works.
      this.logger.warn({ err: (err as Error).message }, 'cannot read a persisted query from Redis');
      return undefined;
    }
  }

  async set(key: string, value: string, options?: KeyValueCacheSetOptions): Promise<void> {
    if (Buffer.byteLength(value) > APQ_MAX_ENTRY_BYTES) return;
    // Past the budget the operation still runs; it is just not stored (the client sends its text).
    if ((await this.budget.reserve([key.length + Buffer.byteLength(value)])) === 0) return;
    const ttl = options?.ttl && options.ttl > 0 ? Math.min(Math.ceil(options.ttl), this.ttlSeconds) : this.ttlSeconds;
    await this.redis.set(key, value, 'EX', ttl);
  }

  async delete(key: string): Promise<boolean> {
    return (await this.redis.del(key)) > 0;
  }
}
