import { describe, expect, it } from '@jest/globals';
import { createMetrics, type RedisLike } from './metrics.ts';

const redis = (status: string, ping: () => Promise<string>, pending = 0): RedisLike => ({ status, commandQueue: { length: pending }, ping });

describe('saturation gauges (read on scrape)', () => {
  it('reports each watched Postgres pool by service and role', async () => {
    const m = createMetrics('test');
    m.watchDbPool('academic', 'primary', { totalCount: 7, idleCount: 2, waitingCount: 3, options: { max: 10 } });
    m.watchDbPool('academic', 'read', { totalCount: 1, idleCount: 1, waitingCount: 0, options: { max: 10 } });
    const text = await m.registry.metrics();
    expect(text).toContain('db_pool_max_clients{pool="academic",role="primary",service="test"} 10');
    expect(text).toContain('db_pool_total_clients{pool="academic",role="primary",service="test"} 7');
    expect(text).toContain('db_pool_idle_clients{pool="academic",role="primary",service="test"} 2');
    expect(text).toContain('db_pool_waiting_requests{pool="academic",role="primary",service="test"} 3');
    expect(text).toContain('db_pool_total_clients{pool="academic",role="read",service="test"} 1');
  });

  it('Redis: up only when ready and answering; a hanging PING counts as down within a second; pending commands add up', async () => {
    const m = createMetrics('test');
    m.watchRedis('client', redis('ready', async () => 'PONG', 2), { ping: true });
    m.watchRedis('queue', redis('ready', () => new Promise<string>(() => undefined), 1), { ping: true });
    m.watchRedis('queue', redis('ready', async () => 'PONG', 4));
    m.watchRedis('worker', redis('reconnecting', async () => 'PONG'));
    const started = Date.now();
    const text = await m.registry.metrics();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(text).toContain('redis_up{connection="client",service="test"} 1');
    expect(text).toContain('redis_up{connection="queue",service="test"} 0');
    expect(text).toContain('redis_up{connection="worker",service="test"} 0');
    expect(text).toMatch(/redis_ping_seconds\{connection="client",service="test"\} [0-9.e-]+/);
    expect(text).not.toContain('redis_ping_seconds{connection="queue"');
    expect(text).toContain('redis_commands_pending{connection="queue",service="test"} 5');
  });
});
