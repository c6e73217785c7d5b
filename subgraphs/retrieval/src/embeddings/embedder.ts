import { createHash } from 'node:crypto';
import { type Redis, RedisByteBudget } from '@ai-teacher/shared';

export interface Embedder {
  /** Identifies the model; part of every cache key and stored with vectors. */
  readonly model: string;
  readonly dimensions: number;
  embed(texts: string[]): Promise<number[][]>;
}

export interface EmbeddingCacheLimits {
  /** Bytes of query embeddings each process keeps in memory (least recently used go first). */
  queryMemoryBytes: number;
  /**
   * Bytes of passage embeddings (vector and key) all processes together may write to Redis per
   * cache lifetime (`ttlSeconds`); the bound on what the cache holds in Redis at any time.
   */
  redisBytes: number;
}

/** 16 MiB: 1,024 query vectors of the offline embedder (4,096 floats), 2,730 of a 1,536-dimension model. */
export const DEFAULT_EMBEDDING_CACHE_LIMITS: EmbeddingCacheLimits = { queryMemoryBytes: 16 * 1024 * 1024, redisBytes: 64 * 1024 * 1024 };

/**
 * Caches embeddings by model and text hash, so re-ingesting a book or asking a question twice
 * costs no model calls, with bounded memory whoever calls:
 *
 * - A call with one text — a search's query; ingestion embeds passages in batches — is cached in
 *   this process only, in an LRU of `queryMemoryBytes`, and never reaches Redis. Queries are
 *   what users choose, and each distinct one used to store a 16 KB vector in Redis for a day:
 *   enough requests filled Redis, which runs `noeviction` and also holds the queues, throttles
 *   and pub/sub. A query is now also served without a Redis round trip. (A book whose last batch
 *   has a single passage keeps that one vector in the worker's memory instead.)
 * - Batches (ingestion) are read from and written to Redis for `ttlSeconds`, as packed float32,
 *   within a budget: at most `redisBytes` of vectors and keys are written per `ttlSeconds` window
 *   counted together with the window before, so what is cached in Redis never exceeds
 *   `redisBytes` (entries live at most one window; a counter per window, shared by all processes;
 *   Redis's own overhead of some 50–100 bytes per key, and clock skew between processes, aside).
 *   Beyond it, batches are still embedded and returned, just not cached until the window turns.
 */
export class CachedEmbedder implements Embedder {
  readonly model: string;
  readonly dimensions: number;
  private readonly inner: Embedder;
  private readonly redis: Redis;
  private readonly ttlSeconds: number;
  private readonly limits: EmbeddingCacheLimits;
  private readonly queries: LruBytes;
  private readonly budget: RedisByteBudget;

  constructor(inner: Embedder, redis: Redis, ttlSeconds: number, limits: Partial<EmbeddingCacheLimits> = {}) {
    this.inner = inner;
    this.model = inner.model;
    this.dimensions = inner.dimensions;
    this.redis = redis;
    this.ttlSeconds = Math.max(1, Math.round(ttlSeconds));
    this.limits = { ...DEFAULT_EMBEDDING_CACHE_LIMITS, ...limits };
    this.queries = new LruBytes(this.limits.queryMemoryBytes);
    this.budget = new RedisByteBudget(redis, { name: 'emb', ttlSeconds: this.ttlSeconds, maxBytes: this.limits.redisBytes });
  }

  private key(text: string): string {
    return `emb:${this.model}:${createHash('sha256').update(text).digest('base64url')}`;
  }

  async embed(texts: string[]): Promise<number[][]> {
    if (!texts.length) return [];
    if (texts.length === 1) return [await this.embedQuery(texts[0]!)];
    const keys = texts.map((t) => this.key(t));
    const cached = await this.redis.mgetBuffer(...keys);
    const missing = texts.map((_, i) => i).filter((i) => !cached[i]);
    const fresh = missing.length ? await this.inner.embed(missing.map((i) => texts[i]!)) : [];
    if (missing.length) {
      const entries = missing.map((i, j) => ({ key: keys[i]!, value: Buffer.from(new Float32Array(fresh[j]!).buffer) }));
      const allowed = await this.budget.reserve(entries.map((e) => e.key.length + e.value.length));
      if (allowed) {
        const pipeline = this.redis.pipeline();
        for (const e of entries.slice(0, allowed)) pipeline.set(e.key, e.value, 'EX', this.ttlSeconds);
        await pipeline.exec();
      }
    }
    const out: number[][] = [];
    let j = 0;
    for (let i = 0; i < texts.length; i++) {
      const hit = cached[i];
      // Redis buffers may sit at any offset of a shared slab: copy before viewing as floats.
      out.push(hit ? Array.from(new Float32Array(Uint8Array.from(hit).buffer)) : fresh[j++]!);
    }
    return out;
  }

  private async embedQuery(text: string): Promise<number[]> {
    const key = this.key(text);
    const hit = this.queries.get(key);
    if (hit) return Array.from(hit);
    const [vector] = await this.inner.embed([text]);
    this.queries.set(key, new Float32Array(vector!));
    return vector!;
  }
}

/** Float32 vectors by key, least recently used dropped first once over `maxBytes`. */
class LruBytes {
  private readonly entries = new Map<string, Float32Array>();
  private bytes = 0;
  private readonly maxBytes: number;
  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  get(key: string): Float32Array | undefined {
    const v = this.entries.get(key);
    if (v) {
      this.entries.delete(key);
      this.entries.set(key, v);
    }
    return v;
  }

  set(key: string, v: Float32Array): void {
    if (v.byteLength > this.maxBytes) return;
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.bytes -= old.byteLength;
    }
    this.entries.set(key, v);
    this.bytes += v.byteLength;
    for (const [k, e] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= e.byteLength;
    }
  }
}
