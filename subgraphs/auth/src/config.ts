import { jwtSchema, zc } from '@ai-teacher/shared';
import { z } from 'zod';

export const authConfigSchema = jwtSchema.extend({
  /**
   * PKCS#8 PEM private key for access tokens, Ed25519 (EdDSA) or P-256 (ES256). Generated under
   * DATA_DIR outside production; required in production.
   */
  JWT_PRIVATE_KEY: z.string().optional(),
  ACCESS_TOKEN_TTL: zc.seconds.default(900),
  REFRESH_TOKEN_TTL: zc.seconds.default(30 * 24 * 3600),
  /** The first admin, created (or promoted) at start-up when both are set. */
  ADMIN_EMAIL: z.email().optional(),
  ADMIN_PASSWORD: z.string().optional(),
  /** Consecutive failed logins for one account before it is locked for LOGIN_ACCOUNT_LOCK_SECONDS. */
  LOGIN_MAX_FAILURES_PER_ACCOUNT: z.coerce.number().int().positive().default(5),
  LOGIN_ACCOUNT_LOCK_SECONDS: zc.seconds.default(15 * 60),
  /** Failed logins from one IP address within LOGIN_IP_WINDOW_SECONDS before it is blocked. */
  LOGIN_MAX_FAILURES_PER_IP: z.coerce.number().int().positive().default(50),
  LOGIN_IP_WINDOW_SECONDS: zc.seconds.default(3600),
  /** argon2id cost (OWASP: 19 MiB memory, 2 passes, 1 lane at least). */
  ARGON2_MEMORY_KIB: z.coerce.number().int().min(19_456).default(19_456),
  ARGON2_TIME_COST: z.coerce.number().int().min(2).default(2),
});
export type AuthConfig = z.infer<typeof authConfigSchema>;
