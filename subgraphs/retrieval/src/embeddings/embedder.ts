import { createHash } from 'node:crypto';
import type { Redis } from '@ai-teacher/shared';

export interface Embedder {
  /** Identifies the model; part of every cache key and stored with vectors. */
  readonly model: string;
  readonly dimensions: number;
  embed(texts: string[]): Promise<number[][]>;
}

/**
 * Caches embeddings in Redis by model and text hash, so re-ingesting a book or asking a question
 * twice costs no model calls. Misses are embedded in one batch.
 */
export class CachedEmbedder implements Embedder {
  readonly model: string;
  readonly dimensions: number;
  private readonly inner: Embedder;
  private readonly redis: Redis;
  private readonly ttlSeconds: number;

  constructor(inner: Embedder, redis: Redis, ttlSeconds: number) {
    this.inner = inner;
    this.model = inner.model;
    this.dimensions = inner.dimensions;
    this.redis = redis;
    this.ttlSeconds = ttlSeconds;
  }

  private key(text: string): string {
    return `emb:${this.model}:${createHash('sha256').update(text).digest('base64url')}`;
  }

  async embed(texts: string[]): Promise<number[][]> {
    if (!texts.length) return [];
    const keys = texts.map((t) => this.key(t));
    const cached = await this.redis.mgetBuffer(...keys);
    const missing = texts.map((_, i) => i).filter((i) => !cached[i]);
    const fresh = missing.length ? await this.inner.embed(missing.map((i) => texts[i]!)) : [];
    if (missing.length) {
      const pipeline = this.redis.pipeline();
      missing.forEach((i, j) => pipeline.set(keys[i]!, Buffer.from(new Float32Array(fresh[j]!).buffer), 'EX', this.ttlSeconds));
      await pipeline.exec();
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
}
