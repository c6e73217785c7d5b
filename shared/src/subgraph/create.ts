import { createServer, type Server } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import graphqlUploadExpress from 'graphql-upload/graphqlUploadExpress.mjs';
import type { z } from 'zod';
import { ConfigError, type Env, loadConfig, resolveIdentitySecret, resolveServiceSecret } from '../config.ts';
import { pingDatabase } from '../db.ts';
import { createErrorFormatter } from '../errors.ts';
import { baseApp, httpMetricsMiddleware, listen, mountOps } from '../http.ts';
import { type ForwardedIdentity, IdentitySigner } from '../identity.ts';
import { createLogger } from '../logger.ts';
import { createMetrics, operationMetricsPlugin } from '../metrics.ts';
import { readYourWrites } from '../read-your-writes.ts';
import { pingRedis } from '../redis.ts';
import { type ConfigSchema, type CoreConfig, openService, type ServiceDeps } from '../service.ts';
import { graphqlSpanPlugin, serverSpans } from '../telemetry.ts';
import { type SubgraphConfig, subgraphConfigSchema, type SubgraphContext, type SubgraphDefinition } from './define.ts';
import { forwardedOf, identityMiddleware, queryBindingMiddleware } from './identity-middleware.ts';
import { startSubscriptionServer, type SubscriptionServer } from './ws-server.ts';

export interface RunningSubgraph {
  /** The subgraph's name (its service definition's): what the router's proofs for it are bound to. */
  name: string;
  url: string;
  graphqlUrl: string;
  httpServer: Server;
  shutdownTimeoutMs: number;
  stop(): Promise<void>;
}

/**
 * Starts a subgraph from its definition: settings (the kit's and the service's, parsed once), its
 * service set-up, the identity check, a context per request, internal routes, health/ready/metrics,
 * optional subscriptions and uploads, and an ordered graceful shutdown. `env` is merged over
 * process.env (tests pass it).
 */
export async function createSubgraph<Schema extends ConfigSchema, Services, Context extends SubgraphContext>(
  def: SubgraphDefinition<Schema, Services, Context>,
  env: Env = {},
): Promise<RunningSubgraph> {
  const { name } = def.service;
  const config = loadConfig(subgraphConfigSchema.extend(def.service.config.shape), env) as SubgraphConfig & z.infer<Schema>;
  const secrets = subgraphSecrets(config, (def.internalRoutes ?? []).length > 0);
  const logger = createLogger(name, config.LOG_LEVEL);
  const metrics = createMetrics(name);
  const opened = await openService(def.service, { name, config, logger, metrics, migrate: config.MIGRATE_ON_START });
  const { deps, services } = opened;
  try {
    return await serve(def, deps as ServiceDeps<z.infer<Schema>> & { config: SubgraphConfig & CoreConfig }, services, secrets, opened.close);
  } catch (err) {
    await opened.close().catch(() => undefined);
    throw err;
  }
}

/**
 * The keys a subgraph's HTTP side needs, every problem reported at once before anything opens:
 * IDENTITY_SECRET (the router's proofs) and, only when it serves internal routes, SERVICE_SECRET.
 */
function subgraphSecrets(config: SubgraphConfig, servesInternalRoutes: boolean): { identitySecret: string; serviceSecret: string | undefined } {
  const issues: string[] = [];
  const attempt = (resolve: () => string): string | undefined => {
    try {
      return resolve();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      issues.push(...err.issues);
      return undefined;
    }
  };
  const identitySecret = attempt(() => resolveIdentitySecret(config, config));
  const serviceSecret = servesInternalRoutes ? attempt(() => resolveServiceSecret(config, config)) : undefined;
  if (identitySecret !== undefined && identitySecret === serviceSecret) {
    issues.push('SERVICE_SECRET: must differ from IDENTITY_SECRET (a service token must never pass for an identity proof, nor the other way round)');
  }
  if (issues.length || identitySecret === undefined) throw new ConfigError(issues);
  return { identitySecret, serviceSecret };
}

async function serve<Schema extends ConfigSchema, Services, Context extends SubgraphContext>(
  def: SubgraphDefinition<Schema, Services, Context>,
  deps: ServiceDeps<z.infer<Schema>> & { config: SubgraphConfig },
  services: Services,
  secrets: { identitySecret: string; serviceSecret: string | undefined },
  closeService: () => Promise<void>,
): Promise<RunningSubgraph> {
  const { config, logger, metrics, orm, redis } = deps;
  const { name } = def.service;
  const signer = new IdentitySigner(secrets.identitySecret);
  const app = baseApp(config.TRUST_PROXY);
  // A span per request (GraphQL and internal routes), continuing the caller's trace.
  app.use(serverSpans(name));
  const httpServer = createServer(app);
  let shuttingDown = false;
  const isProduction = config.NODE_ENV === 'production';

  const schema = buildSubgraphSchema([{ typeDefs: def.typeDefs, resolvers: def.resolvers as GraphQLResolverMap<unknown> }]);
  const formatError = createErrorFormatter(logger);
  // With a read replica, a user's reads go to the primary for a moment after their mutations.
  const ryw = config.READ_DATABASE_URL ? readYourWrites(redis, config.READ_YOUR_WRITES_MS, (res) => forwardedOf(res).identity?.userId) : undefined;
  const contextOf = (fwd: ForwardedIdentity): Context =>
    def.context({ em: orm.em.fork(), logger: logger.child({ requestId: fwd.requestId }), ...fwd }, services);

  const subscriptions: SubscriptionServer | undefined = def.subscriptions
    ? startSubscriptionServer({ httpServer, schema, signer, subgraph: name, logger, formatError, context: contextOf })
    : undefined;

  const server = new ApolloServer<Context>({
    schema,
    introspection: !isProduction,
    stopOnTerminationSignals: false, // shutdown is ordered by stop()
    hideSchemaDetailsFromClientErrors: isProduction,
    includeStacktraceInErrorResponses: false,
    formatError,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      // Traces go to OpenTelemetry, not to Apollo's hosted service.
      ApolloServerPluginInlineTraceDisabled(),
      operationMetricsPlugin(metrics),
      graphqlSpanPlugin(),
      ...(ryw ? [ryw.plugin as never] : []),
    ],
  });
  await server.start();

  app.use(httpMetricsMiddleware(metrics));
  mountOps(app, {
    metrics,
    isShuttingDown: () => shuttingDown,
    ready: async () => ({ postgres: await pingDatabase(orm), redis: await pingRedis(redis) }),
  });
  for (const route of def.internalRoutes ?? []) route.mount(app, services, { secret: secrets.serviceSecret!, logger });
  def.routes?.(app, services);

  // Only the router gets an answer: its proof is checked before the body is read, and the
  // operation in the body is checked against the proof once parsed (JSON or multipart).
  app.use('/graphql', identityMiddleware(signer, name, logger));
  const uploadMaxBytes = def.uploadMaxBytes?.(config);
  if (uploadMaxBytes) app.use('/graphql', graphqlUploadExpress({ maxFileSize: uploadMaxBytes, maxFiles: 1 }));
  app.use(
    '/graphql',
    express.json({ limit: config.GRAPHQL_BODY_LIMIT }),
    queryBindingMiddleware(signer, logger),
    ...(ryw ? [ryw.middleware] : []),
    expressMiddleware(server, { context: async ({ res }) => contextOf(forwardedOf(res)) }),
  );

  const url = await listen(httpServer, config.PORT ?? def.defaultPort, config.HOST);
  logger.info({ url: `${url}/graphql` }, 'subgraph ready');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      shuttingDown = true;
      logger.info('shutting down');
      await subscriptions?.close(Math.min(3_000, config.SHUTDOWN_TIMEOUT_MS));
      await server.stop();
      await closeService();
      logger.info('stopped');
    })());

  return { name, url, graphqlUrl: `${url}/graphql`, httpServer, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS, stop };
}
