import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { ApolloServer, type BaseContext } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Express, type Request } from 'express';
import graphqlUploadExpress from 'graphql-upload/graphqlUploadExpress.mjs';
import { type DocumentNode, type ExecutionResult, type GraphQLError, subscribe as graphqlSubscribe } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { z } from 'zod';
import {
  baseSchema,
  databaseSchema,
  type Env,
  httpSchema,
  identitySchema,
  loadConfig,
  redisSchema,
  resolveIdentitySecret,
  zc,
} from './config.ts';
import { createOrm, migrate, pingDatabase, type EntityManager, type MikroORM, type OrmDefinition } from './db.ts';
import { createErrorFormatter, UnauthenticatedError } from './errors.ts';
import { baseApp, httpMetricsMiddleware, listen, mountOps, sanitizeRequestId } from './http.ts';
import { type Identity, IdentityProofError, IdentitySigner } from './identity.ts';
import { createLogger, type Logger } from './logger.ts';
import { createMetrics, type Metrics, operationMetricsPlugin } from './metrics.ts';
import { createRedis, pingRedis, type Redis } from './redis.ts';
import { runInScope } from './request-context.ts';

export const subgraphConfigSchema = baseSchema
  .extend(httpSchema.shape)
  .extend(databaseSchema.shape)
  .extend(redisSchema.shape)
  .extend(identitySchema.shape)
  .extend({
    PORT: zc.port.optional(),
    /** Apply pending migrations at start-up (handy in development; run `npm run migrate` in production). */
    MIGRATE_ON_START: zc.bool.default(false),
    GRAPHQL_BODY_LIMIT: z.string().default('10mb'),
  });
export type SubgraphConfig = z.infer<typeof subgraphConfigSchema>;

/** What every resolver gets. Subgraphs extend it with their services. */
export interface SubgraphContext extends BaseContext {
  /** A fresh EntityManager fork for this request. */
  em: EntityManager;
  redis: Redis;
  logger: Logger;
  /** The caller as verified by the router; null when anonymous. */
  identity: Identity | null;
  requestId: string;
  clientIp: string;
}

export interface SubgraphDeps {
  name: string;
  config: SubgraphConfig;
  logger: Logger;
  orm: MikroORM;
  redis: Redis;
  metrics: Metrics;
  /** Signs and verifies the router's identity proofs and service-to-service calls. */
  identitySecret: string;
}

export interface SubgraphOptions<TContext extends SubgraphContext> {
  name: string;
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<TContext>;
  orm: OrmDefinition;
  /** Default port (from supergraph.yaml); PORT overrides it. */
  defaultPort: number;
  /** Extra settings: merged over process.env (tests use this). */
  env?: Env;
  /** Adds the subgraph's services to the base context of each request. */
  context: (base: SubgraphContext, deps: SubgraphDeps) => TContext | Promise<TContext>;
  /** Extra HTTP routes (e.g. auth's JWKS). */
  routes?: (app: Express, deps: SubgraphDeps) => void;
  /** Runs once after migrations, before the server accepts requests. */
  onStart?: (deps: SubgraphDeps) => Promise<void>;
  /** Accept GraphQL multipart requests (file uploads) up to this many bytes per file. */
  uploadMaxBytes?: number;
  /** Runs during shutdown, after the HTTP server stopped and before the ORM and Redis close. */
  onStop?: () => Promise<void>;
  /**
   * Serve the schema's subscriptions over graphql-ws at /graphql. Only the router connects: each
   * subscription carries the router's signed identity headers in `extensions.forwarded`.
   */
  subscriptions?: boolean;
}

/** Where a subscription's signed identity headers travel (graphql-ws has no per-operation headers). */
export const FORWARDED_EXTENSION = 'forwarded';

export interface RunningSubgraph {
  url: string;
  graphqlUrl: string;
  deps: SubgraphDeps;
  httpServer: Server;
  shutdownTimeoutMs: number;
  stop(): Promise<void>;
}

/**
 * One bootstrap for every subgraph: config, logger, ORM (migrations optional), Redis, the identity
 * check, a forked EntityManager per request, health/ready/metrics and graceful shutdown.
 */
export async function createSubgraph<TContext extends SubgraphContext>(
  opts: SubgraphOptions<TContext>,
): Promise<RunningSubgraph> {
  const config = loadConfig(subgraphConfigSchema, opts.env);
  const logger = createLogger(opts.name, config.LOG_LEVEL);
  const identitySecret = resolveIdentitySecret(config, config);
  const signer = new IdentitySigner(identitySecret);
  const metrics = createMetrics(opts.name);
  const orm = await createOrm(opts.orm, config, logger, () => metrics.dbQueries.inc());
  const redis = createRedis(config, 'client');
  const deps: SubgraphDeps = { name: opts.name, config, logger, orm, redis, metrics, identitySecret };

  try {
    if (config.MIGRATE_ON_START) {
      const applied = await migrate(orm, opts.orm.schema, config.DATABASE_URL);
      if (applied.length) logger.info({ applied }, 'migrations applied');
    }
    await opts.onStart?.(deps);
  } catch (err) {
    await orm.close(true).catch(() => undefined);
    redis.disconnect();
    throw err;
  }

  const app = baseApp(config.TRUST_PROXY);
  const httpServer: Server = createServer(app);
  let shuttingDown = false;
  const isProduction = config.NODE_ENV === 'production';

  const schema = buildSubgraphSchema([{ typeDefs: opts.typeDefs, resolvers: opts.resolvers as GraphQLResolverMap<unknown> }]);
  const formatError = createErrorFormatter(logger);
  const baseContext = (fwd: { identity: Identity | null; requestId: string; clientIp: string }): Promise<TContext> | TContext =>
    opts.context(
      { em: orm.em.fork(), redis, logger: logger.child({ requestId: fwd.requestId }), identity: fwd.identity, requestId: fwd.requestId, clientIp: fwd.clientIp },
      deps,
    );

  let wsServer: { dispose(): void | Promise<void> } | undefined;
  const streams = new OpenStreams();
  if (opts.subscriptions) {
    const wss = new WebSocketServer({ server: httpServer, path: '/graphql' });
    const verified = new WeakMap<object, Map<string, { identity: Identity | null; requestId: string; clientIp: string }>>();
    wsServer = useServer(
      {
        schema,
        subscribe: async (args) => streams.track(await graphqlSubscribe(args)),
        onSubscribe: async (ctx, id, payload) => {
          const headers = (payload.extensions?.[FORWARDED_EXTENSION] ?? {}) as Record<string, string | undefined>;
          try {
            const fwd = await signer.verify((name) => (typeof headers[name] === 'string' ? headers[name] : undefined));
            const byId = verified.get(ctx) ?? new Map();
            byId.set(id, { identity: fwd?.identity ?? null, requestId: fwd?.requestId ?? randomUUID(), clientIp: fwd?.clientIp ?? 'unknown' });
            verified.set(ctx, byId);
          } catch (err) {
            if (!(err instanceof IdentityProofError)) throw err;
            logger.warn({ reason: err.message }, 'refused subscription with unproven identity');
            return [new UnauthenticatedError('Identity headers are not signed by the router')];
          }
        },
        context: (ctx, id) => {
          const fwd = verified.get(ctx)?.get(id) ?? { identity: null, requestId: randomUUID(), clientIp: 'unknown' };
          return baseContext(fwd);
        },
        onNext: (_ctx, _id, _payload, _args, result) =>
          result.errors ? { ...result, errors: result.errors.map((e) => formatError(e.toJSON(), e)) } : undefined,
        onError: (_ctx, _id, _payload, errors) => errors.map((e: GraphQLError) => formatError(e.toJSON(), e)),
        onComplete: (ctx, id) => void verified.get(ctx)?.delete(id),
      },
      wss,
    );
  }

  const server = new ApolloServer<TContext>({
    schema,
    introspection: !isProduction,
    stopOnTerminationSignals: false, // shutdown is ordered by stopOnSignals()
    hideSchemaDetailsFromClientErrors: isProduction,
    includeStacktraceInErrorResponses: false,
    formatError,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      // Traces go to OpenTelemetry, not to Apollo's hosted service.
      ApolloServerPluginInlineTraceDisabled(),
      operationMetricsPlugin(metrics),
    ],
  });
  await server.start();

  app.use(httpMetricsMiddleware(metrics));
  mountOps(app, {
    metrics,
    isShuttingDown: () => shuttingDown,
    ready: async () => ({ postgres: await pingDatabase(orm), redis: await pingRedis(redis) }),
  });
  opts.routes?.(app, deps);

  app.use('/graphql', async (req, res, next) => {
    try {
      const forwarded = await signer.verify((name) => headerValue(req, name));
      const requestId = forwarded?.requestId ?? sanitizeRequestId(headerValue(req, 'x-request-id'), randomUUID);
      const scope = { requestId, userId: forwarded?.identity?.userId };
      res.locals.forwarded = {
        identity: forwarded?.identity ?? null,
        requestId,
        clientIp: forwarded?.clientIp ?? req.ip ?? 'unknown',
      };
      res.setHeader('x-request-id', requestId);
      runInScope(scope, () => next());
    } catch (err) {
      if (!(err instanceof IdentityProofError)) return next(err);
      logger.warn({ reason: err.message, ip: req.ip }, 'refused request with unproven identity');
      res.status(401).json({ errors: [{ message: 'Identity headers are not signed by the router', extensions: { code: 'UNAUTHENTICATED' } }] });
    }
  });
  if (opts.uploadMaxBytes) app.use('/graphql', graphqlUploadExpress({ maxFileSize: opts.uploadMaxBytes, maxFiles: 1 }));
  app.use(
    '/graphql',
    express.json({ limit: config.GRAPHQL_BODY_LIMIT }),
    expressMiddleware(server, {
      context: async ({ res }) => baseContext(res.locals.forwarded as { identity: Identity | null; requestId: string; clientIp: string }),
    }),
  );

  const port = config.PORT ?? opts.defaultPort;
  const url = await listen(httpServer, port, config.HOST);
  logger.info({ url: `${url}/graphql` }, 'subgraph ready');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      shuttingDown = true;
      logger.info('shutting down');
      // Open subscriptions end (clients resubscribe elsewhere with afterSeq); then HTTP drains.
      await wsServer?.dispose();
      // Closing sockets ends their subscriptions asynchronously: let them finish (their clean-up
      // may still need Redis and the database) before those close.
      await streams.settled(Math.min(3_000, config.SHUTDOWN_TIMEOUT_MS));
      await server.stop();
      await opts.onStop?.();
      await orm.close();
      await redis.quit().catch(() => redis.disconnect());
      logger.info('stopped');
    })());

  return { url, graphqlUrl: `${url}/graphql`, deps, httpServer, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS, stop };
}

/**
 * Counts the subscription streams that are open, so that shutdown can wait for them; a stream
 * whose clean-up fails is ended quietly (graphql-ws does not handle that rejection).
 */
class OpenStreams {
  private open = 0;
  private idle: (() => void) | null = null;

  track<T>(result: AsyncGenerator<ExecutionResult, void, void> | ExecutionResult | T): typeof result {
    if (!result || typeof result !== 'object' || !(Symbol.asyncIterator in result)) return result;
    const it = (result as AsyncGenerator<ExecutionResult, void, void>)[Symbol.asyncIterator]();
    this.open++;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      this.open--;
      if (this.open === 0) this.idle?.();
    };
    const wrapped: AsyncGenerator<ExecutionResult, void, void> = {
      [Symbol.asyncIterator]: () => wrapped,
      next: async () => {
        try {
          const r = await it.next();
          if (r.done) finish();
          return r;
        } catch (err) {
          finish();
          throw err;
        }
      },
      return: async () => {
        try {
          await it.return(undefined);
        } catch {
          // the stream's clean-up failed (e.g. during shutdown); it is over either way
        } finally {
          finish();
        }
        return { done: true, value: undefined };
      },
      throw: async (err: unknown) => {
        finish();
        return it.throw(err);
      },
      [Symbol.asyncDispose]: async () => void (await wrapped.return(undefined)),
    };
    return wrapped;
  }

  /** Resolves when no stream is open, or after `timeoutMs`. */
  settled(timeoutMs: number): Promise<void> {
    if (this.open === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.idle = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

function headerValue(req: Request, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * For a process's entry point: stops `target` on SIGTERM/SIGINT, and exits non-zero if stopping
 * takes longer than the timeout.
 */
export function stopOnSignals(target: { stop(): Promise<void> }, logger: Logger, timeoutMs = 10_000): void {
  let stopping = false;
  // Ctrl-C reaches every process of the group and `npm start` forwards it too: repeated signals
  // must not cut a graceful shutdown short, so they are ignored once stopping has begun.
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'signal received');
    const timer = setTimeout(() => {
      logger.error('graceful shutdown timed out');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    target.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
