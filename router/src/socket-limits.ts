// Caps on open WebSockets, per user and per client address, shared by every router replica.
//
// Each open socket holds a *lease* in a Redis sorted set per user (and per address): the member is
// the socket (`<replica>:<n>`), the score the time its lease runs out. Admission is one Lua script
// — drop expired leases, count, add if under the cap — so replicas racing for the last slot cannot
// both win. A replica renews the leases of its open sockets every third of LEASE_MS and removes a
// socket's lease when it closes. A replica that crashes (or loses Redis) renews nothing, so its
// sockets stop counting within LEASE_MS — which a plain INCR/DECR counter cannot do: a crash
// leaves its increments behind, and an expiry on the whole key either never comes (other replicas
// keep touching it) or wipes every replica's sockets at once.
//
// When Redis does not answer, sockets are admitted (and logged): a Redis outage should not
// disconnect every student; the per-socket limits and the edge's per-IP limit still hold.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Logger, Redis } from '@ai-teacher/shared/core';

/** How long a lease lives without renewal: a crashed replica's sockets stop counting after this. */
export const LEASE_MS = 60_000;

const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;

const RENEW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

type SlotRedis = Redis & {
  wsSlotAcquire(key: string, member: string, max: number, leaseMs: number): Promise<number>;
  wsSlotRenew(key: string, member: string, leaseMs: number): Promise<number>;
};

export interface Lease {
  /** Frees the slot (idempotent). */
  release(): Promise<void>;
}

export class SocketSlots {
  private readonly redis: SlotRedis;
  private readonly leaseMs: number;
  private readonly logger: Logger;
  private readonly replica = randomUUID();
  private seq = 0;
  /** Leases this replica holds, by `key\nmember`, renewed by the heartbeat. */
  private readonly held = new Map<string, { key: string; member: string }>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(redis: Redis, opts: { logger: Logger; leaseMs?: number }) {
    this.redis = redis as SlotRedis;
    this.leaseMs = opts.leaseMs ?? LEASE_MS;
    this.logger = opts.logger;
    if (!('wsSlotAcquire' in redis)) {
      redis.defineCommand('wsSlotAcquire', { numberOfKeys: 1, lua: ACQUIRE });
      redis.defineCommand('wsSlotRenew', { numberOfKeys: 1, lua: RENEW });
    }
    this.heartbeat = setInterval(() => void this.renew(), Math.max(50, Math.floor(this.leaseMs / 3)));
    this.heartbeat.unref();
  }

  /** A new member name, unique across replicas. */
  member(): string {
    return `${this.replica}:${++this.seq}`;
  }

  /** A slot under `key` (at most `max` holders across replicas), or null when all are taken. */
  async acquire(key: string, member: string, max: number): Promise<Lease | null> {
    try {
      if (!(await this.redis.wsSlotAcquire(key, member, max, this.leaseMs))) return null;
    } catch (err) {
      this.logger.warn({ key, err: (err as Error).message }, 'cannot count open sockets in Redis; admitting the socket');
      return { release: async () => undefined };
    }
    const id = `${key}\n${member}`;
    this.held.set(id, { key, member });
    return {
      release: async () => {
        if (!this.held.delete(id)) return;
        await this.redis.zrem(key, member).catch((err: Error) => this.logger.warn({ key, err: err.message }, 'cannot free a socket slot in Redis (it expires by itself)'));
      },
    };
  }

  private async renew(): Promise<void> {
    if (!this.held.size) return;
    const pipeline = this.redis.pipeline() as unknown as { wsSlotRenew(key: string, member: string, leaseMs: number): void; exec(): Promise<unknown> };
    for (const { key, member } of this.held.values()) pipeline.wsSlotRenew(key, member, this.leaseMs);
    await pipeline.exec().catch((err: Error) => this.logger.warn({ err: err.message }, 'cannot renew socket slots in Redis'));
  }

  /** Frees every slot this replica holds (shutdown). */
  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    const held = [...this.held.values()];
    this.held.clear();
    if (!held.length) return;
    const pipeline = this.redis.pipeline();
    for (const { key, member } of held) pipeline.zrem(key, member);
    await pipeline.exec().catch(() => undefined);
  }
}

/**
 * The client's address of an upgrade request, as Express's `req.ip` computes it: the nearest
 * address in X-Forwarded-For that the `trust proxy` setting does not trust (behind nginx, the
 * client's; directly, the peer's).
 */
export function clientAddress(req: IncomingMessage, trust: (addr: string, hop: number) => boolean): string {
  const peer = req.socket.remoteAddress ?? 'unknown';
  const header = req.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((s) => s.trim()).filter(Boolean).reverse();
  const hops = [peer, ...forwarded];
  for (let i = 0; i < hops.length - 1; i++) if (!trust(hops[i]!, i)) return hops[i]!;
  return hops.at(-1)!;
}
