import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { ApolloGateway, RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLRequest, GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import graphqlUploadExpress from 'graphql-upload/graphqlUploadExpress.mjs';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import {
  baseApp,
  createErrorFormatter,
  createLogger,
  createMetrics,
  createRedis,
  type Env,
  graphqlSpanPlugin,
  httpMetricsMiddleware,
  type Identity,
  inSpan,
  injectTraceHeaders,
  IdentitySigner,
  listen,
  loadConfig,
  type Logger,
  mountMetrics,
  mountOps,
  operationMetricsPlugin,
  repoRoot,
  resolveIdentitySecret,
  runInScope,
  sanitizeRequestId,
  SERVICE_ATTRIBUTE,
  serverSpans,
  SpanKind,
  subgraphUrlOverrides,
} from '@ai-teacher/shared/core';
import cors from 'cors';
import { type DocumentNode, type ExecutionArgs, GraphQLError, type GraphQLSchema, Kind, OperationTypeNode } from 'graphql';
import { decodeJwt } from 'jose';
import { Counter, Gauge } from 'prom-client';
import { Agent } from 'undici';
import { type ClientLabels, DemandControl } from './demand-control.ts';
import { operationLimits } from './limits.ts';
import { AccessTokenVerifier, bearerToken, InvalidTokenError, KeysUnavailableError, RevocationUnavailableError, RevokedTokenError } from './access-token.ts';
import { type RouterConfig, routerConfigSchema } from './config.ts';
import { clientAddress } from './socket-limits.ts';
import { attachSubscriptions } from './subscriptions.ts';
import { uploadGate } from './upload-gate.ts';
import { RedisApqCache } from './apq-cache.ts';
import { importGate, importOnly, jsonBody } from './body-limits.ts';
import { PersistedOperations } from './persisted-operations.ts';
import { findUploads, forwardUpload, type UploadForwarding } from './upload-forwarding.ts';
import { SubgraphFetcher } from './subgraph-transport.ts';
import { SubgraphFetchMetrics } from './subgraph-metrics.ts';

export interface RouterContext {
  identity: Identity | null;
  requestId: string;
  clientIp: string;
  /** The client's request was multipart (a file upload): only then are subgraph variables searched for files. */
  hasUploads?: boolean;
}

export interface RunningRouter {
  url: string;
  graphqlUrl: string;
  /** Prometheus metrics (a port of their own, not public). */
  metricsUrl: string;
  config: RouterConfig;
  logger: Logger;
  shutdownTimeoutMs: number;
  stop(): Promise<void>;
}

/** Forwards the verified identity to subgraphs, signed so they can tell it came from the router. */
class IdentityForwardingDataSource extends RemoteGraphQLDataSource<RouterContext> {
  declare signer: IdentitySigner;
  /** The subgraph this source calls: each proof is bound to it (and to the fetch's query). */
  declare subgraph: string;
  declare uploadForwarding: UploadForwarding;
  declare fetchMetrics: SubgraphFetchMetrics;
  declare subgraphFetcher: SubgraphFetcher;
  /** Identical query fetches in flight for the same identity are sent once (SUBGRAPH_DEDUPE). */
  declare dedupe: boolean;

  override process(options: GraphQLDataSourceProcessOptions<RouterContext>): Promise<GatewayGraphQLResponse> {
    // One CLIENT span per subgraph fetch (`subgraph <name>`); its context goes on as `traceparent`.
    const attributes = { [SERVICE_ATTRIBUTE]: 'router', 'subgraph.name': this.subgraph, ...(options.request.operationName ? { 'graphql.operation.name': options.request.operationName } : {}) };
    return inSpan(`subgraph ${this.subgraph}`, { kind: SpanKind.CLIENT, attributes }, () => this.fetchMetrics.time(this.subgraph, () => this.send(options)));
  }

  private async send(options: GraphQLDataSourceProcessOptions<RouterContext>): Promise<GatewayGraphQLResponse> {
    // Only a multipart client request can carry files (graphql-upload's Upload objects): other
    // fetches skip walking their variables, which for entity fetches hold every representation.
    const uploads = options.context.hasUploads ? findUploads(options.request.variables) : [];
    if (!uploads.length) return this.sendJson(options);
    // Files go on as a multipart request, streamed as they arrive (upload-forwarding.ts); identity
    // headers are added exactly as for JSON.
    const http = options.request.http ?? { method: 'POST', url: this.url, headers: new Headers() };
    options.request.http = http;
    await this.willSendRequest(options);
    return forwardUpload(this.url!, options.request, http.headers as unknown as Iterable<[string, string]>, uploads, this.uploadForwarding);
  }

  /**
   * A JSON fetch: what RemoteGraphQLDataSource.process() does for it (headers, POST, error path,
   * `respond` for cache hints and hooks), with the headers kept as a plain object and sent on
   * undici's `request` (subgraph-transport.ts). process() would build a node-fetch Headers, copy the
   * request twice and a node-fetch Request per fetch, which at 16 fetches per client request was
   * a measurable share of the router's CPU.
   */
  private async sendJson(options: GraphQLDataSourceProcessOptions<RouterContext>): Promise<GatewayGraphQLResponse> {
    const { request, context } = options;
    const query = request.query;
    if (!query) throw new Error('Missing query');
    const headers = () => {
      const out: Record<string, string> = {};
      if (request.http?.headers) for (const [name, value] of request.http.headers as unknown as Iterable<[string, string]>) out[name.toLowerCase()] = value;
      out['content-type'] = 'application/json';
      Object.assign(out, this.identityHeaders(context, query));
      injectTraceHeaders((name, value) => (out[name] = value));
      return out;
    };
    const { http: _http, ...payload } = request;
    // Shared only between fetches made for the same user and role (or both anonymous): a subgraph
    // answers a query from the identity it is given, so theirs would be the same answer.
    const share = this.dedupe && isQuery('document' in options ? options.document : undefined, query) ? { subgraph: this.subgraph, key: identityKey(context) } : undefined;
    const result = await this.subgraphFetcher.send(this.url!, headers, payload, share);
    if (!result.body) throw await this.errorFromResponse(result.response as unknown as Parameters<RemoteGraphQLDataSource['errorFromResponse']>[0]);
    const response = result.body;
    response.http = result.response as unknown as GatewayGraphQLResponse['http'];
    const incoming = 'incomingRequestContext' in options ? options : undefined;
    const cachePolicy = incoming?.incomingRequestContext.overallCachePolicy;
    // `respond` is declared private in the typings (an ordinary method in the JavaScript).
    return (this as unknown as RespondingDataSource).respond({
      response,
      request,
      context,
      overallCachePolicy: this.honorSubgraphCacheControlHeader && cachePolicy && 'restrict' in cachePolicy ? cachePolicy : null,
      pathInIncomingRequest: incoming?.pathInIncomingRequest,
    });
  }

  /** The signed identity headers for one fetch of `query` (none for the gateway's own calls). */
  private identityHeaders(from: RouterContext | Record<string, unknown>, query: string): Record<string, string> {
    if (!('requestId' in from) || !from.requestId) return {}; // gateway-internal calls carry no identity (health checks)
    const context = from as RouterContext;
    return this.signer.headers({ identity: context.identity, requestId: context.requestId, clientIp: context.clientIp }, { subgraph: this.subgraph, query });
  }

  override async willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<RouterContext>): Promise<void> {
    for (const [name, value] of Object.entries(this.identityHeaders(context, request.query ?? ''))) request.http?.headers.set(name, value);
    // W3C trace context (unsigned: it names a trace, it proves nothing).
    injectTraceHeaders((name, value) => request.http?.headers.set(name, value));
  }
}

/** Whether a fetch is a query (never a mutation or subscription), from its document or else its text. */
function isQuery(document: DocumentNode | undefined, query: string): boolean {
  const operation = document?.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (operation) return operation.operation === OperationTypeNode.QUERY;
  return /^\s*(query\b|\{)/.test(query);
}

function identityKey(context: RouterContext | Record<string, unknown>): string {
  const identity = (context as RouterContext).identity;
  return identity ? `${identity.userId}:${identity.role}` : 'anonymous';
}

interface RespondingDataSource {
  respond(args: { response: GatewayGraphQLResponse; request: GatewayGraphQLRequest; context: unknown; overallCachePolicy: unknown; pathInIncomingRequest: unknown }): Promise<GatewayGraphQLResponse>;
}

/** Each subgraph's routing URL from the supergraph's join__graph enum, with SUBGRAPH_URL_* overrides. */
function supergraphRoutingUrls(supergraphSdl: string, overrides: Record<string, string>): Record<string, string> {
  const urls: Record<string, string> = {};
  for (const m of supergraphSdl.matchAll(/@join__graph\(name: "([^"]+)", url: "([^"]+)"\)/g)) urls[m[1]!] = overrides[m[1]!] ?? m[2]!;
  return urls;
}

function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
}

/** Starts the router: one GraphQL endpoint in front of every subgraph. `env` is merged over process.env. */
export async function startRouter(env: Env = {}): Promise<RunningRouter> {
  const config = loadConfig(routerConfigSchema, env);
  const logger = createLogger('router', config.LOG_LEVEL);
  // The clients' operation manifest (PERSISTED_OPERATIONS_*); a bad one stops the start here.
  const persisted = PersistedOperations.fromConfig(config, logger.child({ component: 'persisted-operations' }));
  const metrics = createMetrics('router');
  const signer = new IdentitySigner(resolveIdentitySecret(config, config));
  // Every request reads revocations and charges its rate limit: concurrent requests' commands share writes.
  const redis = createRedis(config, 'client', { enableAutoPipelining: true });
  const verifier = new AccessTokenVerifier({ jwksUrl: config.AUTH_JWKS_URL, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, redis });
  const isProduction = config.NODE_ENV === 'production';
  const supergraphSdl = readFileSync(config.SUPERGRAPH_PATH ?? join(repoRoot, 'router', 'supergraph.graphql'), 'utf8');
  const urlOverrides = subgraphUrlOverrides(env);
  const fetchMetrics = new SubgraphFetchMetrics(metrics.registry, Object.keys(supergraphRoutingUrls(supergraphSdl, {})));
  metrics.watchRedis('client', redis, { ping: true });

  // One keep-alive pool per router process for all subgraph calls.
  const agent = new Agent({ keepAliveTimeout: config.SUBGRAPH_KEEPALIVE_MS, connections: 256, headersTimeout: config.SUBGRAPH_TIMEOUT_MS, bodyTimeout: config.SUBGRAPH_TIMEOUT_MS });

  const sharedFetches = new Counter({ name: 'subgraph_fetches_shared_total', help: 'Subgraph query fetches not sent because an identical one (same subgraph, query, variables and identity) was in flight', labelNames: ['subgraph'], registers: [metrics.registry] });
  const fetcher = new SubgraphFetcher(agent, (subgraph) => sharedFetches.inc({ subgraph }));
  const buildService = ({ name, url }: { name: string; url?: string }) => {
    const source = new IdentityForwardingDataSource({ url: urlOverrides[name] ?? url });
    source.signer = signer;
    source.subgraph = name;
    source.fetchMetrics = fetchMetrics;
    source.subgraphFetcher = fetcher;
    source.dedupe = config.SUBGRAPH_DEDUPE;
    source.uploadForwarding = { dispatcher: agent, maxBytes: config.UPLOAD_MAX_BYTES, responseTimeoutMs: config.SUBGRAPH_TIMEOUT_MS };
    return source;
  };
  const gateway = new ApolloGateway({ supergraphSdl, logger: logger.child({ component: 'gateway' }), buildService });

  const app = baseApp(config.TRUST_PROXY);
  const httpServer: Server = createServer(app);
  let shuttingDown = false;

  // ROUTER_PROTECTION=off exists for `npm run bench:router`, which measures what protection costs.
  const protect = config.ROUTER_PROTECTION === 'on';
  if (!protect) logger.warn('ROUTER_PROTECTION=off: no operation limits, query cost or rate limits (benchmarks only)');
  const unprotected = { validationRules: [], validationOptions: {}, plugins: [] };
  const limits = !protect ? unprotected : operationLimits({
    maxDepth: config.OP_MAX_DEPTH,
    maxAliases: config.OP_MAX_ALIASES,
    maxDirectives: config.OP_MAX_DIRECTIVES,
    maxTokens: config.OP_MAX_TOKENS,
    maxRootFields: config.OP_MAX_ROOT_FIELDS,
    maxFieldRepeats: config.OP_MAX_FIELD_REPEATS,
    blockSuggestions: isProduction,
  });

  const demandControl = new DemandControl({
    supergraphSdl,
    mode: config.COST_MODE,
    maxCost: config.COST_MAX,
    defaultListSize: config.COST_DEFAULT_LIST_SIZE,
    userCostPerWindow: config.RATE_LIMIT_USER_COST,
    anonymousCostPerWindow: config.RATE_LIMIT_ANONYMOUS_COST,
    signInPerWindow: config.RATE_LIMIT_SIGN_IN,
    windowSeconds: config.RATE_LIMIT_WINDOW_SECONDS,
    redis,
    registry: metrics.registry,
    logger: logger.child({ component: 'demand-control' }),
  });

  // Subscriptions (graphql-ws) share the endpoint; their plans run on the same data sources.
  const subscriptionEvents = new Counter({ name: 'graphql_subscription_events_total', help: 'Subscription events sent to clients', registers: [metrics.registry] });
  const subgraphUrls = supergraphRoutingUrls(supergraphSdl, urlOverrides);
  const subscriptions = attachSubscriptions({
    httpServer,
    supergraphSdl,
    serviceMap: Object.fromEntries(Object.entries(subgraphUrls).map(([name, url]) => [name, buildService({ name, url })])),
    subgraphUrl: (name) => subgraphUrls[name]!,
    signer,
    authenticate: (token) => verifier.verify(token),
    expiresAt: (token) => (decodeJwt(token).exp ?? 0) * 1000,
    logger: logger.child({ component: 'subscriptions' }),
    onEvent: () => subscriptionEvents.inc(),
    maxPerSocket: config.WS_MAX_SUBSCRIPTIONS_PER_SOCKET,
    maxMessageBytes: config.WS_MAX_MESSAGE_BYTES,
    redis,
    clientAddress: (request) => clientAddress(request, app.get('trust proxy fn') as (addr: string, hop: number) => boolean),
    maxSocketsPerUser: config.WS_MAX_SOCKETS_PER_USER,
    maxSocketsPerIp: config.WS_MAX_SOCKETS_PER_IP,
    subscribePerMinute: config.WS_SUBSCRIBE_PER_MINUTE,
    validationRules: limits.validationRules,
    hideSuggestions: isProduction,
    isAllowedOperation: persisted.isAllowedOperation,
    ...(protect ? { admit: (schema: GraphQLSchema, args: ExecutionArgs, client: ClientLabels) => demandControl.admitSubscription(schema, args, client) } : {}),
  });
  new Gauge({ name: 'graphql_subscriptions_active', help: 'Open client subscriptions on this router', registers: [metrics.registry], collect() { this.set(subscriptions.active()); } });
  new Gauge({ name: 'graphql_subscriptions_upstream_active', help: 'Open subgraph subscriptions serving them (identical client subscriptions share one)', registers: [metrics.registry], collect() { this.set(subscriptions.upstream()); } });

  const server = new ApolloServer<RouterContext>({
    gateway,
    validationRules: limits.validationRules,
    validationOptions: limits.validationOptions,
    allowBatchedHttpRequests: false,
    // APQ in Redis, shared by every replica (apq-cache.ts).
    persistedQueries: { cache: new RedisApqCache({ redis, ttlSeconds: config.APQ_TTL_SECONDS, maxBytes: config.APQ_CACHE_MAX_MB * 1024 * 1024, logger }), ttl: config.APQ_TTL_SECONDS },
    csrfPrevention: true,
    stopOnTerminationSignals: false, // shutdown is ordered by stopOnSignals()
    introspection: !isProduction,
    hideSchemaDetailsFromClientErrors: isProduction,
    includeStacktraceInErrorResponses: false,
    formatError: createErrorFormatter(logger),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      isProduction ? ApolloServerPluginLandingPageDisabled() : ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }),
      operationMetricsPlugin(metrics),
      graphqlSpanPlugin(),
      ...(protect ? [demandControl.plugin()] : []),
      ...(limits.plugins as ApolloServerPlugin<RouterContext>[]),
    ],
  });
  await server.start();

  app.use(httpMetricsMiddleware(metrics));
  mountOps(app, { metrics, isShuttingDown: () => shuttingDown, ready: async () => ({ gateway: true }), metricsElsewhere: true });
  const metricsApp = baseApp(config.TRUST_PROXY);
  mountMetrics(metricsApp, metrics);
  const metricsServer: Server = createServer(metricsApp);
  const corsSetting = config.CORS_ORIGINS ?? (isProduction ? '' : '*');
  const origins = corsSetting === '*' ? true : corsSetting ? corsSetting.split(',').map((o) => o.trim()) : false;
  app.use(
    '/graphql',
    cors({ origin: origins, exposedHeaders: ['x-request-id'], maxAge: 600 }),
    (req, res, next) => {
      const requestId = sanitizeRequestId(req.get('x-request-id'), randomUUID);
      res.locals.requestId = requestId;
      res.setHeader('x-request-id', requestId);
      runInScope({ requestId }, () => next());
    },
    // The request's span (renamed after its operation, e.g. `mutation AskTutor`): every subgraph fetch is its child.
    serverSpans('router'),
    // POST /graphql/import (bulk imports, larger bodies): an ADMIN token is checked before the body is read.
    importGate({ verify: (token) => verifier.verify(token), logger }),
    // GraphQL multipart requests (file uploads): the token is checked before the body is read.
    uploadGate({ verify: (token) => verifier.verify(token), redis, maxConcurrentPerUser: config.UPLOAD_MAX_CONCURRENT_PER_USER }),
    graphqlUploadExpress({ maxFileSize: config.UPLOAD_MAX_BYTES, maxFiles: 1 }),
    jsonBody({ limit: config.GRAPHQL_BODY_LIMIT, importLimit: config.IMPORT_BODY_LIMIT }),
    persisted.middleware,
    importOnly({ maxTokens: config.OP_MAX_TOKENS }),
    expressMiddleware(server, {
      context: async ({ req, res }): Promise<RouterContext> => {
        const requestId = res.locals.requestId as string;
        const clientIp = req.ip ?? 'unknown';
        const hasUploads = Boolean(req.is('multipart/form-data'));
        const header = req.get('authorization');
        if (!header) return { identity: null, requestId, clientIp, hasUploads };
        // A presented token must be valid: a bad one is refused, never treated as anonymous.
        const token = bearerToken(header);
        if (!token) throw unauthenticated('Authorization header must be "Bearer <access token>"');
        try {
          return { identity: await verifier.verify(token), requestId, clientIp, hasUploads };
        } catch (err) {
          if (err instanceof KeysUnavailableError) {
            logger.error('cannot fetch signing keys from the auth subgraph');
            throw new GraphQLError('Authentication is temporarily unavailable', { extensions: { code: 'INTERNAL', http: { status: 503 } } });
          }
          if (err instanceof RevocationUnavailableError) {
            logger.error('cannot read access-token revocations from Redis');
            throw new GraphQLError('Authentication is temporarily unavailable', { extensions: { code: 'INTERNAL', http: { status: 503 } } });
          }
          if (err instanceof InvalidTokenError) throw unauthenticated('Access token is invalid or expired');
          if (err instanceof RevokedTokenError) {
            // The client refreshes (refreshToken issues the current role) and retries; if the
            // refresh fails too, the sign-in has ended and the user signs in again.
            throw new GraphQLError('Access token was revoked (role change or sign-out); get a new one with refreshToken, or sign in again if that fails', {
              extensions: { code: 'UNAUTHENTICATED', reason: 'TOKEN_REVOKED', http: { status: 401 } },
            });
          }
          throw err;
        }
      },
    }),
  );

  const url = await listen(httpServer, config.PORT, config.HOST);
  const metricsUrl = `${await listen(metricsServer, config.METRICS_PORT, config.HOST)}/metrics`;
  logger.info({ url: `${url}/graphql` }, 'router ready');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      shuttingDown = true;
      // Subscribers are told to go (they resume elsewhere with afterSeq); then HTTP drains.
      await subscriptions.dispose();
      await server.stop();
      await agent.close();
      await redis.quit().catch(() => redis.disconnect());
      await new Promise<void>((resolve) => metricsServer.close(() => resolve()));
      logger.info('stopped');
    })());
  return { url, graphqlUrl: `${url}/graphql`, metricsUrl, config, logger, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS, stop };
}
