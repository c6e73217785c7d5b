import { jwtSchema, zc } from '@ai-teacher/shared';
import { z } from 'zod';

const count = z.coerce.number().int().positive();

export const authConfigSchema = jwtSchema.extend({
  /**
   * PKCS#8 PEM private key for access tokens, Ed25519 (EdDSA) or P-256 (ES256). Generated under
   * DATA_DIR outside production; required in production.
   */
  JWT_PRIVATE_KEY: z.string().optional(),
  ACCESS_TOKEN_TTL: zc.seconds.default(900),
  /** Lifetime of one refresh token (each refresh issues a new one). */
  REFRESH_TOKEN_TTL: zc.seconds.default(30 * 24 * 3600),
  /**
   * Absolute lifetime of a sign-in (a refresh-token family), however often it is refreshed: after
   * this long `refreshToken` answers UNAUTHENTICATED and the user signs in again.
   */
  REFRESH_FAMILY_MAX_AGE: zc.seconds.default(90 * 24 * 3600),
  /** How often refresh tokens that can no longer be used (expired, revoked, too old) are deleted. */
  REFRESH_TOKEN_CLEANUP_INTERVAL_SECONDS: zc.seconds.default(3600),
  /** At most this many refresh-token rows are deleted per clean-up run (in batches of 1,000). */
  REFRESH_TOKEN_CLEANUP_MAX_ROWS: count.default(10_000),
  /**
   * The first admin: created with ADMIN_PASSWORD at start-up when both are set and no account has
   * this email. An existing account is never promoted, nor its password changed.
   */
  ADMIN_EMAIL: z.email().optional(),
  ADMIN_PASSWORD: z.string().optional(),
  /** Consecutive failed logins for one account before it is locked for LOGIN_ACCOUNT_LOCK_SECONDS. */
  LOGIN_MAX_FAILURES_PER_ACCOUNT: count.default(5),
  LOGIN_ACCOUNT_LOCK_SECONDS: zc.seconds.default(15 * 60),
  /** Failed logins from one IP address within LOGIN_IP_WINDOW_SECONDS before it is blocked. */
  LOGIN_MAX_FAILURES_PER_IP: count.default(50),
  LOGIN_IP_WINDOW_SECONDS: zc.seconds.default(3600),
  /**
   * `register` calls (accepted or not, once the input is valid) from one client address — an IPv4
   * address or an IPv6 /64 — within REGISTER_IP_WINDOW_SECONDS; more are RATE_LIMITED.
   */
  REGISTER_MAX_PER_IP: count.default(30),
  REGISTER_IP_WINDOW_SECONDS: zc.seconds.default(3600),
  /** argon2id cost (OWASP: 19 MiB memory, 2 passes, 1 lane at least). */
  ARGON2_MEMORY_KIB: z.coerce.number().int().min(19_456).default(19_456),
  ARGON2_TIME_COST: z.coerce.number().int().min(2).default(2),
});
export type AuthConfig = z.infer<typeof authConfigSchema>;
