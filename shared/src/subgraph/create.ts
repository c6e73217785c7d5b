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
import { type Env, loadConfig } from '../config.ts';
import { pingDatabase } from '../db.ts';
import { createErrorFormatter } from '../errors.ts';
import { baseApp, httpMetricsMiddleware, listen, mountOps } from '../http.ts';
import { type ForwardedIdentity, IdentitySigner } from '../identity.ts';
import { createLogger } from '../logger.ts';
import { createMetrics, operationMetricsPlugin } from '../metrics.ts';
import { pingRedis } from '../redis.ts';
import { type ConfigSchema, type CoreConfig, openService, type ServiceDeps } from '../service.ts';
import { type SubgraphConfig, subgraphConfigSchema, type SubgraphContext, type SubgraphDefinition } from './define.ts';
import { forwardedOf, identityMiddleware } from './identity-middleware.ts';
import { startSubscriptionServer, type SubscriptionServer } from './ws-server.ts';

export interface RunningSubgraph {
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
  const logger = createLogger(name, config.LOG_LEVEL);
  const metrics = createMetrics(name);
  const opened = await openService(def.service, { name, config, logger, metrics, migrate: config.MIGRATE_ON_START });
  const { deps, services } = opened;
  try {
    return await serve(def, deps as ServiceDeps<z.infer<Schema>> & { config: SubgraphConfig & CoreConfig }, services, opened.close);
  } catch (err) {
    await opened.close().catch(() => undefined);
    throw err;
  }
}

async function serve<Schema extends ConfigSchema, Services, Context extends SubgraphContext>(
  def: SubgraphDefinition<Schema, Services, Context>,
  deps: ServiceDeps<z.infer<Schema>> & { config: SubgraphConfig },
  services: Services,
  closeService: () => Promise<void>,
): Promise<RunningSubgraph> {
  const { config, logger, metrics, orm, redis } = deps;
  const signer = new IdentitySigner(deps.identitySecret);
  const app = baseApp(config.TRUST_PROXY);
  const httpServer = createServer(app);
  let shuttingDown = false;
  const isProduction = config.NODE_ENV === 'production';

  const schema = buildSubgraphSchema([{ typeDefs: def.typeDefs, resolvers: def.resolvers as GraphQLResolverMap<unknown> }]);
  const formatError = createErrorFormatter(logger);
  const contextOf = (fwd: ForwardedIdentity): Context =>
    def.context({ em: orm.em.fork(), logger: logger.child({ requestId: fwd.requestId }), ...fwd }, services);

  const subscriptions: SubscriptionServer | undefined = def.subscriptions
    ? startSubscriptionServer({ httpServer, schema, signer, logger, formatError, context: contextOf })
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
    ],
  });
  await server.start();

  app.use(httpMetricsMiddleware(metrics));
  mountOps(app, {
    metrics,
    isShuttingDown: () => shuttingDown,
    ready: async () => ({ postgres: await pingDatabase(orm), redis: await pingRedis(redis) }),
  });
  for (const route of def.internalRoutes ?? []) route.mount(app, services, { secret: deps.identitySecret, logger });
  def.routes?.(app, services);

  app.use('/graphql', identityMiddleware(signer, logger));
  const uploadMaxBytes = def.uploadMaxBytes?.(config);
  if (uploadMaxBytes) app.use('/graphql', graphqlUploadExpress({ maxFileSize: uploadMaxBytes, maxFiles: 1 }));
  app.use('/graphql', express.json({ limit: config.GRAPHQL_BODY_LIMIT }), expressMiddleware(server, { context: async ({ res }) => contextOf(forwardedOf(res)) }));

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

  return { url, graphqlUrl: `${url}/graphql`, httpServer, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS, stop };
}
