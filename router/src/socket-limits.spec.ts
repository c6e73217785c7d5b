// Socket slots against a real Redis: a cap shared by two replicas, freed on release, and a replica
// that dies without releasing stops holding its slots once its leases run out.
import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger, createRedis, type Redis } from '@ai-teacher/shared/core';
import { createTestRedis, type TestRedis } from '@ai-teacher/shared/testing';
import { clientAddress, SocketSlots } from './socket-limits.ts';

let testRedis: TestRedis;
let a: Redis;
let b: Redis;
const logger = createLogger('test', 'silent');

beforeAll(async () => {
  testRedis = await createTestRedis();
  const config = { REDIS_URL: testRedis.url, REDIS_KEY_PREFIX: testRedis.prefix };
  a = createRedis(config);
  b = createRedis(config);
});
afterAll(async () => {
  a.disconnect();
  b.disconnect();
  await testRedis.cleanup();
});

describe('SocketSlots', () => {
  it('shares one cap between replicas and frees a slot on release', async () => {
    const one = new SocketSlots(a, { logger });
    const two = new SocketSlots(b, { logger });
    try {
      const first = await one.acquire('ws-sockets:user:u1', one.member(), 2);
      const second = await two.acquire('ws-sockets:user:u1', two.member(), 2);
      expect(first).not.toBeNull();
      expect(second).not.toBeNull();
      expect(await one.acquire('ws-sockets:user:u1', one.member(), 2)).toBeNull();
      // Another user is not affected.
      expect(await two.acquire('ws-sockets:user:u2', two.member(), 2)).not.toBeNull();
      await second!.release();
      await second!.release(); // idempotent
      expect(await one.acquire('ws-sockets:user:u1', one.member(), 2)).not.toBeNull();
    } finally {
      await one.close();
      await two.close();
    }
  });

  it('a replica that stops renewing (crashed) loses its slots after the lease; a live one keeps them', async () => {
    const crashed = new SocketSlots(a, { logger, leaseMs: 600 });
    const live = new SocketSlots(b, { logger, leaseMs: 600 });
    try {
      expect(await live.acquire('ws-sockets:ip:10.0.0.1', live.member(), 2)).not.toBeNull();
      expect(await crashed.acquire('ws-sockets:ip:10.0.0.1', crashed.member(), 2)).not.toBeNull();
      expect(await live.acquire('ws-sockets:ip:10.0.0.1', live.member(), 2)).toBeNull();
      // The crashed replica's heartbeat stops (its process is gone); the live one keeps renewing.
      clearInterval((crashed as unknown as { heartbeat: NodeJS.Timeout }).heartbeat);
      await new Promise((r) => setTimeout(r, 1_500));
      expect(await live.acquire('ws-sockets:ip:10.0.0.1', live.member(), 2)).not.toBeNull();
      // …and the live replica's first socket still counts: the cap is reached again.
      expect(await live.acquire('ws-sockets:ip:10.0.0.1', live.member(), 2)).toBeNull();
    } finally {
      await live.close();
    }
  });
});

describe('clientAddress', () => {
  const req = (peer: string, xff?: string) => ({ socket: { remoteAddress: peer }, headers: xff ? { 'x-forwarded-for': xff } : {} }) as unknown as IncomingMessage;
  const loopback = (addr: string) => addr === '127.0.0.1';
  it('takes X-Forwarded-For only from trusted proxies', () => {
    expect(clientAddress(req('127.0.0.1', '203.0.113.7'), loopback)).toBe('203.0.113.7');
    expect(clientAddress(req('127.0.0.1', '198.51.100.1, 203.0.113.7'), loopback)).toBe('203.0.113.7');
    expect(clientAddress(req('203.0.113.9', '198.51.100.1'), loopback)).toBe('203.0.113.9');
    expect(clientAddress(req('127.0.0.1'), loopback)).toBe('127.0.0.1');
  });
});
