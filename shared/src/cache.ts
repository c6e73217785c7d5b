import type { Redis } from 'ioredis';

/**
 * Read-through cache in Redis with a TTL. Concurrent misses for one key in this process share one
 * load (single-flight), so a cold key under load costs one database query per process, not one per
 * request. Values are JSON.
 */
export class RedisCache {
  private readonly inflight = new Map<string, Promise<unknown>>();
  private readonly redis: Redis;
  private readonly namespace: string;

  constructor(redis: Redis, namespace = 'cache') {
    this.redis = redis;
    this.namespace = namespace;
  }

  private key(key: string): string {
    return `${this.namespace}:${key}`;
  }

  async get<T>(key: string): Promise<T | undefined> {
    const raw = await this.redis.get(this.key(key));
    return raw === null ? undefined : (JSON.parse(raw) as T);
  }

  async set<T>(key: string, value: T, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.key(key), JSON.stringify(value), 'EX', ttlSeconds);
  }

  async delete(...keys: string[]): Promise<void> {
    if (keys.length) await this.redis.del(...keys.map((k) => this.key(k)));
  }

  async getOrSet<T>(key: string, ttlSeconds: number, load: () => Promise<T>): Promise<T> {
    const pending = this.inflight.get(key);
    if (pending) return pending as Promise<T>;
    const p = (async () => {
      const hit = await this.get<T>(key);
      if (hit !== undefined) return hit;
      const value = await load();
      // undefined cannot round-trip through JSON; such values are simply not cached.
      if (value !== undefined) await this.set(key, value, ttlSeconds);
      return value;
    })().finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }
}
