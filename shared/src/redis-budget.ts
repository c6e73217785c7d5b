import type { Redis } from './redis.ts';

/**
 * A bound on what a cache may hold in Redis, shared by every process that writes it: at most
 * `maxBytes` are written per `ttlSeconds` window, counted together with the window before — entries
 * live at most one window, so what is cached never exceeds `maxBytes` (Redis's own overhead of some
 * 50–100 bytes per key, and clock skew between processes, aside). Beyond it, callers skip caching
 * until the window turns. Redis runs `noeviction` because it also holds the queues, throttles and
 * pub/sub: caches that users can grow must stay inside a budget like this one.
 */
export class RedisByteBudget {
  private readonly redis: Redis;
  private readonly name: string;
  private readonly ttlSeconds: number;
  private readonly maxBytes: number;

  constructor(redis: Redis, opts: { name: string; ttlSeconds: number; maxBytes: number }) {
    this.redis = redis;
    this.name = opts.name;
    this.ttlSeconds = Math.max(1, Math.round(opts.ttlSeconds));
    this.maxBytes = opts.maxBytes;
  }

  /**
   * Takes room for entries of these sizes from the budget of the current window (counted with the
   * previous one, whose entries may still live) and returns how many of them, in order, fit.
   * Concurrent writers each count the others' reservations: they may leave room unused, never
   * exceed the budget.
   */
  async reserve(sizes: number[]): Promise<number> {
    const total = sizes.reduce((a, b) => a + b, 0);
    const window = Math.floor(Date.now() / 1000 / this.ttlSeconds);
    const current = `${this.name}-budget:${this.ttlSeconds}:${window}`;
    const results = (await this.redis
      .multi()
      .incrby(current, total)
      .expire(current, 2 * this.ttlSeconds)
      .get(`${this.name}-budget:${this.ttlSeconds}:${window - 1}`)
      .exec()) ?? [];
    const failed = results.find(([err]) => err)?.[0];
    if (failed || results.length !== 3) throw failed ?? new Error(`the ${this.name} cache budget could not be read`);
    const used = Number(results[0]![1]) + Number(results[2]![1] ?? 0);
    const room = total - Math.max(0, used - this.maxBytes);
    let fit = 0;
    let kept = 0;
    while (fit < sizes.length && kept + sizes[fit]! <= room) kept += sizes[fit++]!;
    if (kept < total) await this.redis.decrby(current, total - kept);
    return fit;
  }
}
