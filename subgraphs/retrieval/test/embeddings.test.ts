// The openai SDK against a local OpenAI-compatible embeddings server, and the Redis cache in front.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createRedis, type Redis } from '@ai-teacher/shared';
import { createTestRedis, type TestRedis } from '@ai-teacher/shared/testing';
import { CachedEmbedder } from '../src/embeddings/embedder.ts';
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
    await local.embed(['x']);
    expect(await t.client.keys(`${t.prefix}emb:local-hash-v1-64:*`)).toHaveLength(1);
  });
});
