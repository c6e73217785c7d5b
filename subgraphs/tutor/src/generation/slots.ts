import { RateLimitedError, type Redis } from '@ai-teacher/shared';

/** Seconds a generation slot is held at most (a crashed process cannot hold one for ever). */
const SLOT_TTL_SECONDS = 300;

/**
 * The answers being generated for each user: a set of message ids in Redis, shared by every tutor
 * replica. Releasing is idempotent (removing a message id twice frees one slot once).
 */
export class GenerationSlots {
  private readonly redis: Redis;
  private readonly max: number;
  constructor(redis: Redis, maxPerUser: number) {
    this.redis = redis;
    this.max = maxPerUser;
  }

  private key(userId: string) {
    return `tutor-active:${userId}`;
  }

  /** Takes a slot for `messageId`, or throws RATE_LIMITED when the user already has the most answers running. */
  async take(userId: string, messageId: string): Promise<void> {
    const key = this.key(userId);
    const results = (await this.redis.multi().sadd(key, messageId).expire(key, SLOT_TTL_SECONDS).scard(key).exec()) ?? [];
    const running = Number(results[2]?.[1] ?? 0);
    if (running > this.max) {
      await this.redis.srem(key, messageId);
      throw new RateLimitedError(5, `At most ${this.max} answers can be generated for you at a time; wait for one to finish`);
    }
  }

  async release(userId: string, messageId: string): Promise<void> {
    await this.redis.srem(this.key(userId), messageId).catch(() => undefined);
  }
}
