import { baseSchema, httpSchema, identitySchema, jwtSchema, redisSchema, zc } from '@ai-teacher/shared';
import { z } from 'zod';

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
    GRAPHQL_BODY_LIMIT: z.string().default('10mb'),
    /** Largest file accepted in a GraphQL multipart request (book PDFs). */
    UPLOAD_MAX_BYTES: z.coerce.number().int().positive().default(100 * 1024 * 1024),
    /** Uploads one user may have in flight at once (all router replicas). */
    UPLOAD_MAX_CONCURRENT_PER_USER: z.coerce.number().int().positive().default(2),
    /** Idle keep-alive connections to each subgraph are kept this long. */
    SUBGRAPH_KEEPALIVE_MS: z.coerce.number().int().positive().default(30_000),
    SUBGRAPH_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
    /** Open subscriptions one WebSocket may hold; more are RATE_LIMITED. */
    WS_MAX_SUBSCRIPTIONS_PER_SOCKET: z.coerce.number().int().positive().default(50),
    /** Largest WebSocket message accepted; a larger one closes the socket. */
    WS_MAX_MESSAGE_BYTES: z.coerce.number().int().min(1_024).default(64 * 1024),
  });
export type RouterConfig = z.infer<typeof routerConfigSchema>;
