import { Redis, type RedisOptions } from 'ioredis';
import type { RedisConfig } from './config.ts';

export type { Redis };

/**
 * `client` connections fail fast when Redis is away (requests should error, not hang); BullMQ
 * workers need `maxRetriesPerRequest: null` and block on their connection, so they get their own.
 * BullMQ prefixes its keys itself, so worker connections get no ioredis keyPrefix.
 */
/**
 * A Redis that accepts connections but stops answering must fail a request, not hang it (and hold
 * what it holds, e.g. an outbox row lock) for ever. Worker connections block by design: none there.
 */
const COMMAND_TIMEOUT_MS = 5_000;

export function createRedis(config: RedisConfig, role: 'client' | 'worker' | 'queue' = 'client', extra: RedisOptions = {}): Redis {
  const options: RedisOptions =
    role === 'client'
      ? { keyPrefix: config.REDIS_KEY_PREFIX, maxRetriesPerRequest: 2, enableOfflineQueue: true, connectTimeout: 5_000, commandTimeout: COMMAND_TIMEOUT_MS }
      : role === 'worker'
        ? { maxRetriesPerRequest: null, enableReadyCheck: false, connectTimeout: 5_000 }
        : { maxRetriesPerRequest: 2, enableReadyCheck: true, connectTimeout: 5_000, commandTimeout: COMMAND_TIMEOUT_MS };
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

/**
 * Answers another service owns, cached in Redis per subject (e.g. a course and a user) under a
 * version that the owner bumps when the answer changes (`invalidateVersioned`). Readers key their
 * entries by the version they read first, so an answer fetched before a change can never be served
 * after it, even when its write races the change; old entries simply expire.
 */
export class VersionedCache {
  private readonly redis: Redis;
  private readonly namespace: string;
  private readonly ttlSeconds: number;
  constructor(redis: Redis, namespace: string, ttlSeconds: number) {
    this.redis = redis;
    this.namespace = namespace;
    this.ttlSeconds = ttlSeconds;
  }

  /** The cached answer, or `load()`'s (stored unless `keep` says not to). */
  async get<T>(subject: string, variant: string, load: () => Promise<T>, keep: (value: T) => boolean = () => true): Promise<T> {
    const version = (await this.redis.get(versionKey(this.namespace, subject))) ?? '0';
    const key = `${this.namespace}:${subject}:${variant}:${version}`;
    const cached = await this.redis.get(key);
    if (cached) return JSON.parse(cached) as T;
    const fresh = await load();
    if (keep(fresh)) await this.redis.set(key, JSON.stringify(fresh), 'EX', this.ttlSeconds);
    return fresh;
  }
}

/** Called by the owner after a change commits: every cached answer about these subjects is dropped. */
export async function invalidateVersioned(redis: Redis, namespace: string, subjects: string[]): Promise<void> {
  if (!subjects.length) return;
  const pipeline = redis.pipeline();
  for (const subject of subjects) pipeline.incr(versionKey(namespace, subject));
  await pipeline.exec();
}

const versionKey = (namespace: string, subject: string) => `${namespace}-ver:${subject}`;
