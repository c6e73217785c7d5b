import { addressKey, RateLimitedError, type Redis } from '@ai-teacher/shared';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { AuthConfig } from '../config.ts';

/**
 * Sign-ups per client address, in Redis so every auth replica shares the counts. Every `register`
 * with valid input counts, whether it creates an account or finds the email taken, so the throttle
 * bounds both the argon2 work an address can cause and how many emails it can probe.
 */
export class RegistrationThrottle {
  private readonly byIp: RateLimiterRedis;
  constructor(redis: Redis, config: AuthConfig) {
    this.byIp = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: 'register-ip',
      points: config.REGISTER_MAX_PER_IP,
      duration: config.REGISTER_IP_WINDOW_SECONDS,
    });
  }

  /** Counts one attempt from `clientIp`; throws RATE_LIMITED (with retryAfter) over the limit. */
  async consume(clientIp: string): Promise<void> {
    try {
      await this.byIp.consume(addressKey(clientIp));
    } catch (err) {
      if (err instanceof RateLimiterRes) throw new RateLimitedError(err.msBeforeNext / 1000, 'Too many sign-ups from this address; try again later');
      throw err;
    }
  }
}
