// Subscriptions at the router's single endpoint: graphql-ws (graphql-transport-ws) on /graphql.
//
// @apollo/gateway plans subscriptions but refuses to execute them, so the router does it here, the
// way a federated router does: the query planner splits a subscription into a primary fetch (the
// subscription itself, sent to the owning subgraph over graphql-ws) and the rest of the plan
// (fields of other subgraphs, fetched through `_entities`). For every event the primary fetch
// delivers, the rest runs through the gateway's own plan executor — the event stands in for the
// primary fetch's response — and the result is shaped to the client's selection.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import { buildOperationContext, executeQueryPlan, type GraphQLDataSource, type ServiceMap } from '@apollo/gateway';
import type { GatewayGraphQLRequestContext, GatewaySchemaHash } from '@apollo/server-gateway-interface';
import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import { operationFromDocument, type Schema, Supergraph } from '@apollo/federation-internals';
import { type FetchNode, type PlanNode, type QueryPlan, QueryPlanner } from '@apollo/query-planner';
import { addressKey, FORWARDED_EXTENSION, type Identity, type IdentitySigner, type Logger, type Redis } from '@ai-teacher/shared';
import { type ExecutionArgs, type ExecutionResult, GraphQLError, type GraphQLFormattedError, type GraphQLSchema, print, specifiedRules, validate, type ValidationRule } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { WebSocket, WebSocketServer } from 'ws';
import { bearerToken } from './access-token.ts';
import { MAX_VALIDATION_ERRORS } from './limits.ts';
import { type Lease, SocketSlots } from './socket-limits.ts';
import { notInListError } from './persisted-operations.ts';
import type { RouterContext } from './router.ts';

/** The service name under which an event stands in for the primary fetch's response. */
const EVENT_SOURCE = '__subscription_event__';
/** Subscription events are never cached. */
const NO_CACHE: KeyValueCache = { get: async () => undefined, set: async () => undefined, delete: async () => undefined };
const PLAN_CACHE_SIZE = 500;

export interface SubscriptionOptions {
  httpServer: Server;
  supergraphSdl: string;
  /** The data sources the gateway uses (identity signing included), by subgraph name. */
  serviceMap: ServiceMap;
  /** A subgraph's HTTP GraphQL URL; its graphql-ws endpoint is the same path over ws(s). */
  subgraphUrl(name: string): string;
  signer: IdentitySigner;
  /** Verifies `connectionParams.authorization`; throws for an invalid token. */
  authenticate(authorization: string): Promise<Identity>;
  /** When a verified token expires (ms since epoch). */
  expiresAt(token: string): number;
  logger: Logger;
  /** Called for every event sent to a client (metrics). */
  onEvent?: () => void;
  /** Open subscriptions one socket may hold. */
  maxPerSocket: number;
  /** Largest WebSocket message accepted (bytes); larger ones close the socket (1009). */
  maxMessageBytes: number;
  /** Where open sockets are counted, across router replicas (socket-limits.ts). */
  redis: Redis;
  /** The client's address of an upgrade request (X-Forwarded-For as `trust proxy` allows). */
  clientAddress(request: IncomingMessage): string;
  /** Open sockets one user may hold, and one client address (signed in or not); more are closed with 4429. */
  maxSocketsPerUser: number;
  maxSocketsPerIp: number;
  /** Subscribe messages one socket may send per minute; more are answered RATE_LIMITED. */
  subscribePerMinute: number;
  /** Validation rules beyond graphql-js's own (the router's operation limits). */
  validationRules: ValidationRule[];
  /** Production: error messages carry no "Did you mean" hints. */
  hideSuggestions: boolean;
  /** Safelist mode (persisted-operations.ts): whether this operation may run; refused with PERSISTED_QUERY_NOT_IN_LIST. */
  isAllowedOperation?(query: string, extensions: Record<string, unknown> | undefined): boolean;
  /** Demand control when a subscription starts: its cost checked and charged; an error refuses it. */
  admit?(schema: GraphQLSchema, args: ExecutionArgs, client: { name?: string; version?: string }): Promise<GraphQLError | undefined>;
}

type SocketExtra = { identity?: Identity; clientIp?: string; expiresAt?: number };
/** A socket's name in the slot sets, its client address, and the slots it holds. */
type SocketState = { member: string; address: string; admitted: Promise<boolean>; leases: Lease[]; closed: boolean };
/** graphql-ws's own code for "too many requests" (its TooManyInitialisationRequests). */
const CLOSE_TOO_MANY = 4429;

export interface RunningSubscriptions {
  /** Open client subscriptions. */
  active(): number;
  dispose(): Promise<void>;
}

export function attachSubscriptions(opts: SubscriptionOptions): RunningSubscriptions {
  const supergraph = Supergraph.build(opts.supergraphSdl);
  const apiSchema: Schema = supergraph.apiSchema();
  const apiGraphQLSchema: GraphQLSchema = apiSchema.toGraphQLJSSchema();
  const supergraphSchema: GraphQLSchema = supergraph.schema.toGraphQLJSSchema();
  const planner = new QueryPlanner(supergraph);
  const clients = new Map<string, Client>();
  /** Query plans by operation text, least recently used first. */
  const plans = new Map<string, QueryPlan>();
  let active = 0;

  /** One multiplexed graphql-ws connection per subgraph. A dropped connection ends its
   * subscriptions with an error; clients resubscribe (with `afterSeq` where the field has it). */
  const clientFor = (service: string): Client => {
    let client = clients.get(service);
    if (!client) {
      const url = opts.subgraphUrl(service).replace(/^http/, 'ws');
      client = createClient({ url, webSocketImpl: WebSocket, lazy: true, retryAttempts: 0, keepAlive: 15_000 });
      clients.set(service, client);
    }
    return client;
  };

  async function* federatedSubscribe(args: ExecutionArgs): AsyncGenerator<ExecutionResult> {
    const ctx = args.contextValue as RouterContext;
    const refused = await opts.admit?.(apiGraphQLSchema, args, {});
    if (refused) {
      yield { errors: [refused] };
      return;
    }
    let plan: QueryPlan;
    try {
      // Many clients send the same subscription: plan it once.
      const key = `${args.operationName ?? ''}\n${print(args.document)}`;
      plan = plans.get(key) ?? planner.buildQueryPlan(operationFromDocument(apiSchema, args.document, { operationName: args.operationName ?? undefined }));
      plans.delete(key);
      plans.set(key, plan);
      if (plans.size > PLAN_CACHE_SIZE) plans.delete(plans.keys().next().value!);
    } catch (err) {
      yield { errors: [err instanceof GraphQLError ? err : new GraphQLError((err as Error).message)] };
      return;
    }
    const node = plan.node;
    if (node?.kind !== 'Subscription') {
      yield { errors: [new GraphQLError('Only subscriptions are served over WebSocket; send queries and mutations over HTTP')] };
      return;
    }
    const { primary, rest } = node;
    const variables = Object.fromEntries((primary.variableUsages ?? []).filter((n) => n in (args.variableValues ?? {})).map((n) => [n, args.variableValues![n]]));
    const headers = opts.signer.headers({ identity: ctx.identity, requestId: ctx.requestId, clientIp: ctx.clientIp }, { subgraph: primary.serviceName, query: primary.operation });
    const upstream = clientFor(primary.serviceName).iterate({ query: primary.operation, variables, ...(primary.operationName ? { operationName: primary.operationName } : {}), extensions: { [FORWARDED_EXTENSION]: headers } });
    const operationContext = buildOperationContext({ schema: apiGraphQLSchema, operationDocument: args.document, operationName: args.operationName ?? undefined });
    active++;
    try {
      for await (const event of upstream) {
        if (!event.data) {
          yield { errors: (event.errors ?? [{ message: 'The subscription failed' }]).map(toGraphQLError) };
          continue;
        }
        opts.onEvent?.();
        yield await completeEvent(primary, rest, event, ctx, args, operationContext);
      }
    } catch (err) {
      // The subgraph connection closed or refused the operation.
      const message = Array.isArray(err) ? (err as GraphQLFormattedError[]).map((e) => e.message).join('; ') : 'The subscription was interrupted; subscribe again to resume';
      opts.logger.warn({ requestId: ctx.requestId, service: primary.serviceName, err: Array.isArray(err) ? err : (err as Error)?.message ?? String(err) }, 'subgraph subscription ended with an error');
      const extensions = Array.isArray(err) ? { code: (err as GraphQLFormattedError[])[0]?.extensions?.code ?? 'INTERNAL' } : { code: 'INTERNAL', resubscribe: true };
      yield { errors: [new GraphQLError(message, { extensions })] };
    } finally {
      active--;
      await upstream.return?.();
    }
  }

  /** The rest of the plan for one event: entity fetches, then shaping to the client's selection. */
  async function completeEvent(primary: FetchNode, rest: PlanNode | undefined, event: ExecutionResult | { data?: unknown; errors?: readonly GraphQLFormattedError[] }, ctx: RouterContext, args: ExecutionArgs, operationContext: ReturnType<typeof buildOperationContext>): Promise<ExecutionResult> {
    const eventSource: GraphQLDataSource = { process: async () => ({ data: event.data as Record<string, unknown>, ...(event.errors ? { errors: event.errors as GraphQLFormattedError[] } : {}) }) } as GraphQLDataSource;
    const eventFetch: FetchNode = { ...primary, serviceName: EVENT_SOURCE };
    const queryPlan: QueryPlan = { kind: 'QueryPlan', node: rest ? { kind: 'Sequence', nodes: [eventFetch, rest] } : eventFetch };
    // What executeQueryPlan reads of a request: the variables, the operation and the context.
    const requestContext: GatewayGraphQLRequestContext<RouterContext> = {
      request: { query: '', variables: (args.variableValues ?? {}) as Record<string, unknown>, operationName: args.operationName ?? undefined },
      context: ctx,
      logger: opts.logger,
      schema: apiGraphQLSchema,
      schemaHash: '' as GatewaySchemaHash,
      cache: NO_CACHE,
      queryHash: '',
      document: args.document,
      source: '',
      operationName: args.operationName ?? null,
      operation: operationContext.operation,
      metrics: {},
      overallCachePolicy: undefined,
    };
    const result = await executeQueryPlan(queryPlan, { ...opts.serviceMap, [EVENT_SOURCE]: eventSource }, requestContext, operationContext, supergraphSchema, apiSchema);
    return result as ExecutionResult;
  }

  // The ws default would accept 100 MiB messages: a subscription message is a small document.
  const wss = new WebSocketServer({ server: opts.httpServer, path: '/graphql', maxPayload: opts.maxMessageBytes });

  // Open sockets per client address (counted from the moment a socket opens, before it signs in)
  // and per user (once it has), across replicas; subscribe messages per socket, in this process
  // (a socket lives on one replica).
  const slots = new SocketSlots(opts.redis, { logger: opts.logger });
  const subscribeRate = new RateLimiterMemory({ points: opts.subscribePerMinute, duration: 60 });
  const sockets = new WeakMap<WebSocket, SocketState>();
  wss.on('connection', (socket, request) => {
    const state: SocketState = { member: slots.member(), address: opts.clientAddress(request), leases: [], closed: false, admitted: Promise.resolve(false) };
    sockets.set(socket, state);
    state.admitted = slots.acquire(`ws-sockets:ip:${addressKey(state.address)}`, state.member, opts.maxSocketsPerIp).then((lease) => {
      if (!lease) {
        socket.close(CLOSE_TOO_MANY, `Too many requests: at most ${opts.maxSocketsPerIp} open connections from one address`);
        return false;
      }
      state.leases.push(lease);
      return true;
    });
    socket.once('close', () => {
      state.closed = true;
      void subscribeRate.delete(state.member);
      void state.admitted.then(() => Promise.all(state.leases.map((l) => l.release())));
    });
  });

  const server = useServer<Record<string, unknown> | undefined, SocketExtra>(
    {
      schema: apiGraphQLSchema,
      // The same operation limits as over HTTP; in production, no schema hints in the errors.
      validate: (schema, document) => {
        const errors = validate(schema, document, [...specifiedRules, ...opts.validationRules], { maxErrors: MAX_VALIDATION_ERRORS });
        return opts.hideSuggestions ? errors.map(withoutSuggestions) : errors;
      },
      // A socket must present a valid access token: anonymous or invalid sockets are closed (4403).
      onConnect: async (ctx) => {
        const authorization = ctx.connectionParams?.authorization;
        if (typeof authorization !== 'string') return false;
        const token = bearerToken(authorization);
        if (!token) return false;
        try {
          ctx.extra.identity = await opts.authenticate(token);
          ctx.extra.expiresAt = opts.expiresAt(token);
        } catch {
          return false;
        }
        const state = sockets.get(ctx.extra.socket);
        if (!state || !(await state.admitted)) return false; // over the address cap: closed with 4429
        const lease = await slots.acquire(`ws-sockets:user:${ctx.extra.identity.userId}`, state.member, opts.maxSocketsPerUser);
        if (!lease) {
          ctx.extra.socket.close(CLOSE_TOO_MANY, `Too many requests: at most ${opts.maxSocketsPerUser} open connections per user`);
          return false;
        }
        if (state.closed) {
          await lease.release();
          return false;
        }
        state.leases.push(lease);
        ctx.extra.clientIp = state.address;
        // Subscriptions end with the token: the socket closes when it expires (4401); the client
        // reconnects with a fresh token and resumes (tutorAnswer with afterSeq, notifications by listing).
        const socket = ctx.extra.socket;
        const timer = setTimeout(() => socket.close(4401, 'Access token expired; reconnect with a fresh token'), Math.max(0, (ctx.extra.expiresAt ?? 0) - Date.now()));
        timer.unref();
        socket.once('close', () => clearTimeout(timer));
        return true;
      },
      onSubscribe: async (ctx, _id, payload) => {
        // Every subscribe message counts, refused or not; the socket stays open.
        try {
          await subscribeRate.consume(sockets.get(ctx.extra.socket)?.member ?? 'unknown');
        } catch (res) {
          if (!(res instanceof RateLimiterRes)) throw res;
          const retryAfter = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
          return [new GraphQLError(`At most ${opts.subscribePerMinute} subscriptions may be started per minute on one connection; retry in ${retryAfter} s`, { extensions: { code: 'RATE_LIMITED', retryAfter } })];
        }
        if (opts.isAllowedOperation && !opts.isAllowedOperation(payload.query, payload.extensions ?? undefined)) return [notInListError()];
        // A socket outlives its access token: new subscriptions need a fresh one (reconnect).
        if ((ctx.extra.expiresAt ?? 0) <= Date.now()) return [new GraphQLError('Access token expired; reconnect with a fresh token', { extensions: { code: 'UNAUTHENTICATED' } })];
        // graphql-ws tracks the socket's open operations (this one included).
        if (Object.keys(ctx.subscriptions).length > opts.maxPerSocket) {
          return [new GraphQLError(`At most ${opts.maxPerSocket} subscriptions can be open on one connection`, { extensions: { code: 'RATE_LIMITED', retryAfter: 1 } })];
        }
      },
      context: (ctx): RouterContext => ({ identity: ctx.extra.identity ?? null, requestId: randomUUID(), clientIp: ctx.extra.clientIp ?? 'unknown' }),
      execute: () => ({ errors: [new GraphQLError('Only subscriptions are served over WebSocket; send queries and mutations over HTTP')] }),
      subscribe: (args) => federatedSubscribe(args),
    },
    wss,
  );

  return {
    active: () => active,
    async dispose() {
      await server.dispose();
      await slots.close();
      await Promise.all([...clients.values()].map((c) => c.dispose()));
    },
  };
}

/** graphql-js appends "Did you mean …?" from the schema; production does not reveal the schema. */
function withoutSuggestions(e: GraphQLError): GraphQLError {
  const i = e.message.indexOf(' Did you mean ');
  return i < 0 ? e : new GraphQLError(e.message.slice(0, i), { nodes: e.nodes ?? null, ...(e.extensions ? { extensions: e.extensions } : {}) });
}

function toGraphQLError(e: GraphQLFormattedError): GraphQLError {
  return new GraphQLError(e.message, { ...(e.path ? { path: e.path } : {}), ...(e.extensions ? { extensions: e.extensions } : {}) });
}
