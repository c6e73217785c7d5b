import { isIPv4, isIPv6 } from 'node:net';
import { RateLimitedError, type Redis } from '@ai-teacher/shared';
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

/**
 * The unit a per-address limit counts: an IPv4 address, or the /64 of an IPv6 address (what one
 * subscriber is usually given, so rotating addresses inside it gains nothing). IPv4-mapped IPv6
 * addresses count as their IPv4 address.
 */
export function addressKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (isIPv4(ip) || !isIPv6(ip)) return ip;
  const [head = '', tail] = ip.toLowerCase().replace(/%.*$/, '').split('::');
  // A trailing dotted quad (e.g. 64:ff9b::192.0.2.1) stands for two groups.
  const groupsOf = (part: string) => (part ? part.split(':').flatMap((g) => (g.includes('.') ? ['v4', 'v4'] : [g])) : []);
  const left = groupsOf(head);
  const right = tail === undefined ? [] : groupsOf(tail);
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
