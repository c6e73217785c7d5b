import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RedisCache } from './cache.ts';
import { createRedis, type Redis } from './redis.ts';
import { createTestRedis, type TestRedis } from './testing/index.ts';

let t: TestRedis;
let redis: Redis;
let cache: RedisCache;

beforeAll(async () => {
  t = await createTestRedis();
  redis = createRedis({ REDIS_URL: t.url, REDIS_KEY_PREFIX: t.prefix });
  cache = new RedisCache(redis, 'c');
});
afterAll(async () => {
  redis.disconnect();
  await t.cleanup();
});

describe('RedisCache', () => {
  it('loads once, then serves from Redis under the deployment prefix', async () => {
    let loads = 0;
    const load = async () => ({ n: ++loads });
    expect(await cache.getOrSet('k1', 60, load)).toEqual({ n: 1 });
    expect(await cache.getOrSet('k1', 60, load)).toEqual({ n: 1 });
    expect(loads).toBe(1);
    expect(await t.client.get(`${t.prefix}c:k1`)).toBe('{"n":1}');
    expect(await t.client.ttl(`${t.prefix}c:k1`)).toBeGreaterThan(50);
  });

  it('collapses concurrent misses into one load (single-flight)', async () => {
    let loads = 0;
    const load = async () => {
      loads++;
      await new Promise((r) => setTimeout(r, 50));
      return 'v';
    };
    const values = await Promise.all(Array.from({ length: 20 }, () => cache.getOrSet('k2', 60, load)));
    expect(values).toEqual(Array(20).fill('v'));
    expect(loads).toBe(1);
  });

  it('reloads after the TTL and after delete', async () => {
    let loads = 0;
    const load = async () => ++loads;
    await cache.getOrSet('k3', 1, load);
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await cache.getOrSet('k3', 60, load)).toBe(2);
    await cache.delete('k3');
    expect(await cache.getOrSet('k3', 60, load)).toBe(3);
  });

  it('does not cache a failed load', async () => {
    await expect(cache.getOrSet('k4', 60, async () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    expect(await cache.getOrSet('k4', 60, async () => 'ok')).toBe('ok');
  });
});
