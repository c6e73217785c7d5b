import { RateLimitedError, type Redis } from '@ai-teacher/shared';
import { RateLimiterRedis, type RateLimiterRes } from 'rate-limiter-flexible';
import type { AuthConfig } from '../config.ts';

/**
 * Brute-force protection for login, in Redis so every auth replica shares the counts:
 * consecutive failures per account (reset by a successful login) and failures per client address.
 * While either is over its limit, even a correct password is refused, so the lock cannot be used
 * as an oracle.
 */
export class LoginThrottle {
  private readonly byAccount: RateLimiterRedis;
  private readonly byIp: RateLimiterRedis;
  private readonly config: AuthConfig;

  constructor(redis: Redis, config: AuthConfig) {
    this.config = config;
    this.byAccount = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: 'login-fail-account',
      points: config.LOGIN_MAX_FAILURES_PER_ACCOUNT,
      duration: config.LOGIN_ACCOUNT_LOCK_SECONDS,
      blockDuration: config.LOGIN_ACCOUNT_LOCK_SECONDS,
    });
    this.byIp = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: 'login-fail-ip',
      points: config.LOGIN_MAX_FAILURES_PER_IP,
      duration: config.LOGIN_IP_WINDOW_SECONDS,
      blockDuration: config.LOGIN_IP_WINDOW_SECONDS,
    });
  }

  /** Throws RATE_LIMITED when the account or the address is locked. */
  async assertAllowed(email: string, ip: string): Promise<void> {
    const [account, address] = await Promise.all([this.byAccount.get(email), this.byIp.get(ip)]);
    const waits: number[] = [];
    if (account && account.consumedPoints >= this.config.LOGIN_MAX_FAILURES_PER_ACCOUNT) waits.push(account.msBeforeNext);
    if (address && address.consumedPoints >= this.config.LOGIN_MAX_FAILURES_PER_IP) waits.push(address.msBeforeNext);
    if (waits.length) throw new RateLimitedError(Math.max(...waits) / 1000, 'Too many failed sign-in attempts; try again later');
  }

  /** Records a failure; throws RATE_LIMITED when this failure used up the allowance. */
  async recordFailure(email: string, ip: string): Promise<void> {
    const results = await Promise.allSettled([this.byAccount.consume(email), this.byIp.consume(ip)]);
    const limited = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    for (const r of limited) if (r.reason instanceof Error) throw r.reason;
    if (limited.length) {
      const wait = Math.max(...limited.map((r) => (r.reason as RateLimiterRes).msBeforeNext));
      throw new RateLimitedError(wait / 1000, 'Too many failed sign-in attempts; try again later');
    }
  }

  async recordSuccess(email: string): Promise<void> {
    await this.byAccount.delete(email);
  }
}
