import { baseSchema, httpSchema, identitySchema, jwtSchema, redisSchema, zc } from '@ai-teacher/shared/core';
import { z } from 'zod';

/** "256kb", "10mb", "1gb" (1 kb = 1024 bytes, as Express writes limits) or a number of bytes → bytes. */
export function parseByteSize(value: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(value);
  if (!m) return null;
  const unit = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[(m[2] ?? 'b').toLowerCase() as 'b' | 'kb' | 'mb' | 'gb'];
  const bytes = Math.floor(Number(m[1]) * unit);
  return bytes > 0 ? bytes : null;
}

const byteSize = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      const bytes = parseByteSize(value);
      if (bytes === null) {
        ctx.addIssue({ code: 'custom', message: `a size such as 256kb, 10mb or a number of bytes (got "${value}")` });
        return z.NEVER;
      }
      return bytes;
    });

export const routerConfigSchema = baseSchema
  .extend(httpSchema.shape)
  .extend(identitySchema.shape)
  .extend(jwtSchema.shape)
  // The same REDIS_URL and REDIS_KEY_PREFIX as auth: access-token revocations are read there.
  .extend(redisSchema.shape)
  .extend({
    PORT: zc.port.default(4000),
    /** Prometheus /metrics is served here, not on the public PORT (scraped from the private network). */
    METRICS_PORT: zc.port.default(9464),
    /** The composed supergraph (`npm run compose` writes it). */
    SUPERGRAPH_PATH: z.string().optional(),
    /** Where the auth subgraph serves its public keys. */
    AUTH_JWKS_URL: z.url().default('http://127.0.0.1:4001/.well-known/jwks.json'),
    /**
     * Comma-separated origins allowed by CORS, or * for any. Unset: any origin in development, none
     * (same origin only) in production.
     */
    CORS_ORIGINS: z.string().optional(),
    /** Operation limits (see router/src/limits.ts). */
    OP_MAX_DEPTH: z.coerce.number().int().positive().default(10),
    OP_MAX_ALIASES: z.coerce.number().int().min(0).default(15),
    OP_MAX_DIRECTIVES: z.coerce.number().int().min(0).default(20),
    OP_MAX_TOKENS: z.coerce.number().int().positive().default(2_000),
    OP_MAX_ROOT_FIELDS: z.coerce.number().int().positive().default(10),
    OP_MAX_FIELD_REPEATS: z.coerce.number().int().positive().default(3),
    /**
     * Demand control (router/src/cost.ts): `enforce` refuses operations whose estimated cost is over
     * COST_MAX (COST_LIMIT_EXCEEDED); `measure` only records costs (start there on a new schema).
     */
    COST_MODE: z.enum(['measure', 'enforce']).default('enforce'),
    COST_MAX: z.coerce.number().int().positive().default(50_000),
    /** Size assumed for list fields without @listSize. */
    COST_DEFAULT_LIST_SIZE: z.coerce.number().int().positive().default(10),
    /** `off` drops operation limits, query cost and rate limits: for benchmarks that measure their cost, never for a deployment. */
    ROUTER_PROTECTION: z.enum(['on', 'off']).default('on'),
    /** Rate limits, shared by every router replica through Redis; 0 turns one off. */
    RATE_LIMIT_WINDOW_SECONDS: zc.seconds.default(60),
    /** Estimated cost one signed-in user may spend per window. */
    RATE_LIMIT_USER_COST: z.coerce.number().int().min(0).default(1_000_000),
    /** Estimated cost one address may spend per window without signing in. */
    RATE_LIMIT_ANONYMOUS_COST: z.coerce.number().int().min(0).default(100_000),
    /** register, login and refreshToken calls per address per window. */
    RATE_LIMIT_SIGN_IN: z.coerce.number().int().min(0).default(30),
    /**
     * Largest JSON request body on /graphql (router/src/body-limits.ts): e.g. 256kb, 1mb, or bytes.
     * Normal operations are a few KB; bulk imports go to /graphql/import (IMPORT_BODY_LIMIT).
     */
    GRAPHQL_BODY_LIMIT: byteSize('256kb'),
    /** Largest body on POST /graphql/import (importAcademicData only, ADMIN token checked before reading). */
    IMPORT_BODY_LIMIT: byteSize('10mb'),
    /** Automatic persisted queries: seconds a registered operation stays in Redis (shared by every replica). */
    APQ_TTL_SECONDS: zc.seconds.default(86_400),
    /** Bytes of persisted queries all routers together keep in Redis (per APQ_TTL_SECONDS); past it new ones run but are not stored. */
    APQ_CACHE_MAX_MB: z.coerce.number().min(0).default(32),
    /**
     * Persisted operations (router/src/persisted-operations.ts): a manifest in Apollo's persisted
     * query manifest format (`@apollo/generate-persisted-query-manifest`).
     */
    PERSISTED_OPERATIONS_PATH: z.string().optional(),
    /**
     * off | allow (listed operations may be sent by id; anything else still runs) | safelist (only
     * listed operations run: PERSISTED_QUERY_NOT_IN_LIST). Unset: off without a manifest; with one,
     * safelist in production and allow elsewhere.
     */
    PERSISTED_OPERATIONS_MODE: z.enum(['off', 'allow', 'safelist']).optional(),
    /** Largest file accepted in a GraphQL multipart request (book PDFs). */
    UPLOAD_MAX_BYTES: z.coerce.number().int().positive().default(100 * 1024 * 1024),
    /** Uploads one user may have in flight at once (all router replicas). */
    UPLOAD_MAX_CONCURRENT_PER_USER: z.coerce.number().int().positive().default(2),
    /** Idle keep-alive connections to each subgraph are kept this long. */
    SUBGRAPH_KEEPALIVE_MS: z.coerce.number().int().positive().default(30_000),
    SUBGRAPH_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
    /** Identical query fetches in flight (same subgraph, body and identity) sent once, the answer shared. */
    SUBGRAPH_DEDUPE: zc.bool.default(true),
    /** Open subscriptions one WebSocket may hold; more are RATE_LIMITED. */
    WS_MAX_SUBSCRIPTIONS_PER_SOCKET: z.coerce.number().int().positive().default(50),
    /** Largest WebSocket message accepted; a larger one closes the socket. */
    WS_MAX_MESSAGE_BYTES: z.coerce.number().int().min(1_024).default(64 * 1024),
    /**
     * Open WebSockets one signed-in user may hold (tabs, devices), counted across router replicas in
     * Redis; one more is closed with 4429.
     */
    WS_MAX_SOCKETS_PER_USER: z.coerce.number().int().positive().default(10),
    /**
     * Open WebSockets from one client address (IPv4, or IPv6 /64; behind a proxy the address
     * X-Forwarded-For gives as TRUST_PROXY allows), signed in or not, across replicas; more: 4429.
     * Raise it for campuses behind one NAT.
     */
    WS_MAX_SOCKETS_PER_IP: z.coerce.number().int().positive().default(50),
    /** Subscribe messages one WebSocket may send per minute; more are answered RATE_LIMITED (the socket stays open). */
    WS_SUBSCRIBE_PER_MINUTE: z.coerce.number().int().positive().default(60),
  });
export type RouterConfig = z.infer<typeof routerConfigSchema>;
