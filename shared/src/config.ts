// The only module that reads process.env: every setting is declared in a zod schema, parsed once at
// start-up, and every problem is reported at once so an operator fixes a deployment in one go.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  readonly issues: string[];
  constructor(issues: string[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** Repository root (two levels above shared/src). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The process environment, merged with explicit overrides (tests and scripts pass these). */
export function readEnv(overrides: Env = {}): Env {
  return { ...process.env, ...overrides };
}

/**
 * Parses `env` with `schema`; throws a ConfigError listing every invalid or missing variable.
 * Empty strings count as unset so `FOO=` falls back to the documented default.
 */
export function loadConfig<S extends z.ZodType>(schema: S, overrides: Env = {}): z.infer<S> {
  const env = readEnv(overrides);
  const cleaned: Env = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') cleaned[k] = v;
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
    );
  }
  return result.data;
}

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const port = z.coerce.number().int().min(0).max(65535);
const seconds = z.coerce.number().int().positive();

export const zc = { bool, port, seconds };

export const baseSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATA_DIR: z.string().default(join(repoRoot, '.data')),
});

export const httpSchema = z.object({
  HOST: z.string().default('127.0.0.1'),
  /** Express `trust proxy`: which hops may set X-Forwarded-For (nginx on the same host by default). */
  TRUST_PROXY: z.string().default('loopback'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
});

export const databaseSchema = z.object({
  DATABASE_URL: z.url().default('postgres://postgres@127.0.0.1:5432/ai_teacher'),
  /** Optional read replica; reads go there, writes and transactions stay on the primary. */
  READ_DATABASE_URL: z.url().optional(),
  DB_POOL_MAX: z.coerce.number().int().positive().default(10),
  DB_DEBUG: bool.default(false),
});

export const redisSchema = z.object({
  REDIS_URL: z.url().default('redis://127.0.0.1:6379'),
  /** Prefix of every key this deployment writes (lets several deployments or test runs share one Redis). */
  REDIS_KEY_PREFIX: z.string().default('ait:'),
});

export const identitySchema = z.object({
  /**
   * Key with which the router signs the identity proof of each subgraph fetch and subgraphs verify
   * it (HMAC-SHA256, ≥ 32 chars). Only the router and the subgraphs hold it. Generated under
   * DATA_DIR outside production; required in production.
   */
  IDENTITY_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
});

export const serviceSecretSchema = z.object({
  /**
   * Key of the service tokens on internal routes (`/internal/*`): callers sign, route owners verify
   * (HS256, ≥ 32 chars). Only processes with internal clients or routes load it. Generated under
   * DATA_DIR outside production; required in production.
   */
  SERVICE_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
});

/** Access tokens: who issues them and for whom; auth signs with these values and the router checks them. */
export const jwtSchema = z.object({
  JWT_ISSUER: z.string().default('urn:ai-teacher:auth'),
  JWT_AUDIENCE: z.string().default('urn:ai-teacher:api'),
});

export type BaseConfig = z.infer<typeof baseSchema>;
export type HttpConfig = z.infer<typeof httpSchema>;
export type DatabaseConfig = z.infer<typeof databaseSchema>;
export type RedisConfig = z.infer<typeof redisSchema>;

/**
 * Reads a secret kept under DATA_DIR, creating it with `generate()` on first use. Used only outside
 * production so `npm start` works with no setup; concurrent processes agree on one value because
 * the file is created exclusively.
 */
export function devSecret(dataDir: string, name: string, generate: () => string): string {
  const file = join(dataDir, 'secrets', name);
  try {
    return readFileSync(file, 'utf8');
  } catch {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    try {
      writeFileSync(file, generate(), { flag: 'wx', mode: 0o600 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    return readFileSync(file, 'utf8');
  }
}

/** IDENTITY_SECRET, or the development one under DATA_DIR; a clear error in production. */
export function resolveIdentitySecret(base: BaseConfig, identity: { IDENTITY_SECRET?: string | undefined }): string {
  if (identity.IDENTITY_SECRET) return identity.IDENTITY_SECRET;
  if (base.NODE_ENV === 'production') {
    throw new ConfigError(['IDENTITY_SECRET: required in production (at least 32 random characters; the router and the subgraphs share it)']);
  }
  return devSecret(base.DATA_DIR, 'identity-secret', () => randomBytes(32).toString('base64url'));
}

/** SERVICE_SECRET, or the development one under DATA_DIR (another file); a clear error in production. */
export function resolveServiceSecret(base: BaseConfig, service: { SERVICE_SECRET?: string | undefined }): string {
  if (service.SERVICE_SECRET) return service.SERVICE_SECRET;
  if (base.NODE_ENV === 'production') {
    throw new ConfigError(['SERVICE_SECRET: required in production (at least 32 random characters, not the IDENTITY_SECRET; the subgraphs and the workers share it)']);
  }
  return devSecret(base.DATA_DIR, 'service-secret', () => randomBytes(32).toString('base64url'));
}

/**
 * Subgraph URL overrides for the router: SUBGRAPH_URL_<NAME>=http://host:port/graphql, where NAME is
 * the subgraph's name upper-cased with dashes as underscores (lab-notes → SUBGRAPH_URL_LAB_NOTES).
 */
export function subgraphUrlOverrides(overrides: Env = {}): Record<string, string> {
  const env = readEnv(overrides);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    const m = /^SUBGRAPH_URL_([A-Z0-9_]+)$/.exec(k);
    if (m?.[1] && v) out[m[1].toLowerCase().replace(/_/g, '-')] = v;
  }
  return out;
}
