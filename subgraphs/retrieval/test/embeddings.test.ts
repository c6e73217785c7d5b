// The openai SDK against a local OpenAI-compatible embeddings server, and the cache in front: passage
// batches in Redis within a byte budget, queries in a bounded in-process LRU only.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createRedis, type Redis } from '@ai-teacher/shared';
import { createTestRedis, type TestRedis } from '@ai-teacher/shared/testing';
import { CachedEmbedder, type Embedder } from '../src/embeddings/embedder.ts';
import { LocalHashingEmbedder } from '../src/embeddings/local-embedder.ts';
import { OpenAIEmbedder } from '../src/embeddings/openai-embedder.ts';

let server: Server;
let url: string;
const calls: { model: string; input: string[]; auth: string | undefined }[] = [];
let t: TestRedis;
let redis: Redis;

beforeAll(async () => {
  server = createServer(async (req, res) => {
    let raw = '';
    for await (const c of req) raw += c;
    const body = JSON.parse(raw) as { model: string; input: string[] };
    calls.push({ ...body, auth: req.headers.authorization });
    // Deliberately unnormalised vectors, returned out of order as some servers do.
    const data = body.input.map((text, index) => ({ object: 'embedding', index, embedding: [text.length, 3, 4] })).reverse();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'list', data, model: body.model, usage: { prompt_tokens: 1, total_tokens: 1 } }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  t = await createTestRedis();
  redis = createRedis({ REDIS_URL: t.url, REDIS_KEY_PREFIX: t.prefix });
});
afterAll(async () => {
  server.close();
  redis.disconnect();
  await t.cleanup();
});

describe('OpenAIEmbedder', () => {
  it('batches, keeps input order and normalises', async () => {
    const e = new OpenAIEmbedder({ baseURL: url, model: 'test-embed', apiKey: 'sk-test', batchSize: 2 });
    const out = await e.embed(['a', 'bbb', 'cc']);
    expect(calls.map((c) => c.input)).toEqual([['a', 'bbb'], ['cc']]);
    expect(calls[0]!.auth).toBe('Bearer sk-test');
    expect(out[1]![0]! / out[1]![1]!).toBeCloseTo(1, 6); // [3,3,4] normalised
    for (const v of out) expect(Math.hypot(...v)).toBeCloseTo(1, 6);
    expect(e.dimensions).toBe(3);
  });
});

describe('CachedEmbedder', () => {
  it('serves repeated texts from Redis, keyed by model', async () => {
    calls.length = 0;
    const cached = new CachedEmbedder(new OpenAIEmbedder({ baseURL: url, model: 'test-embed', batchSize: 10 }), redis, 60);
    const first = await cached.embed(['x', 'yy']);
    const second = await cached.embed(['yy', 'zzz', 'x']);
    expect(calls.map((c) => c.input)).toEqual([['x', 'yy'], ['zzz']]);
    expect(second[0]).toEqual(first[1]!.map((v) => Math.fround(v)));
    const keys = await t.client.keys(`${t.prefix}emb:test-embed:*`);
    expect(keys).toHaveLength(3);
    expect(await t.client.ttl(keys[0]!)).toBeGreaterThan(50);
    const local = new CachedEmbedder(new LocalHashingEmbedder(64), redis, 60);
    await local.embed(['x', 'y']);
    expect(await t.client.keys(`${t.prefix}emb:local-hash-v1-64:*`)).toHaveLength(2);
  });
});

/** The inner embedder, counting the texts it is asked to embed. */
class Counting implements Embedder {
  readonly inner: LocalHashingEmbedder;
  readonly texts: string[] = [];
  constructor(dimensions: number) {
    this.inner = new LocalHashingEmbedder(dimensions);
  }
  get model() {
    return this.inner.model;
  }
  get dimensions() {
    return this.inner.dimensions;
  }
  embed(texts: string[]) {
    this.texts.push(...texts);
    return this.inner.embed(texts);
  }
}

/** Keys and bytes (key names and values) under the test's prefix that match `pattern`. */
async function stored(pattern: string): Promise<{ keys: number; bytes: number }> {
  const keys = await t.client.keys(`${t.prefix}${pattern}`);
  let bytes = 0;
  for (const k of keys) bytes += k.length - t.prefix.length + (await t.client.strlen(k));
  return { keys: keys.length, bytes };
}

describe('CachedEmbedder bounds', () => {
  const VECTOR = 4096 * 4; // bytes of one offline-embedder vector

  it('queries (one text per call) never reach Redis: 500 distinct ones add nothing there; a repeated one comes from memory', async () => {
    const inner = new Counting(4096);
    const cached = new CachedEmbedder(inner, redis, 3600);
    const before = await stored('*');
    const queries = Array.from({ length: 500 }, (_, i) => `what is a while loop, question ${i}?`);
    for (const q of queries) await cached.embed([q]);
    expect(await stored('*')).toEqual(before); // was 500 keys, 8 MB, for a day
    const again = await cached.embed([queries[499]!]);
    expect(inner.texts).toHaveLength(500);
    expect(again[0]).toEqual(inner.inner.embedOne(queries[499]!).map((v) => Math.fround(v)));
  });

  it('keeps at most queryMemoryBytes of query vectors in memory, least recently used out first', async () => {
    const inner = new Counting(4096);
    const cached = new CachedEmbedder(inner, redis, 3600, { queryMemoryBytes: 10 * VECTOR });
    for (let i = 0; i < 10; i++) await cached.embed([`query ${i}`]);
    await cached.embed(['query 0']); // now the most recently used
    await cached.embed(['query 10']); // pushes out query 1, the least recently used
    inner.texts.length = 0;
    await cached.embed(['query 0']);
    await cached.embed(['query 10']);
    expect(inner.texts).toEqual([]);
    await cached.embed(['query 1']);
    expect(inner.texts).toEqual(['query 1']);
  });

  it('passage batches write at most redisBytes to Redis (vectors and keys), and are still all embedded beyond it', async () => {
    const inner = new Counting(4096);
    const entry = VECTOR + 'emb:local-hash-v1-4096:'.length + 43; // a vector and its key (SHA-256, base64url)
    const budget = 25 * entry;
    const cached = new CachedEmbedder(inner, redis, 7200, { redisBytes: budget });
    const batches = Array.from({ length: 6 }, (_, b) => Array.from({ length: 10 }, (_, i) => `passage ${b}.${i} about loops`));
    for (const batch of batches) {
      expect(await cached.embed(batch)).toEqual(batch.map((text) => inner.inner.embedOne(text)));
    }
    const cache = await stored('emb:local-hash-v1-4096:*');
    expect(cache).toEqual({ keys: 25, bytes: budget }); // two batches and half the third (it was 60 keys)
    // What was cached is served from Redis: re-ingesting the first two batches embeds nothing.
    inner.texts.length = 0;
    await cached.embed([...batches[0]!, ...batches[1]!]);
    expect(inner.texts).toEqual([]);
    // And the budget is shared by every process: a second embedder (another replica) finds it spent.
    const other = new CachedEmbedder(new Counting(4096), redis, 7200, { redisBytes: budget });
    await other.embed(['one more passage', 'and another']);
    expect(await stored('emb:local-hash-v1-4096:*')).toEqual(cache);
  });
});
