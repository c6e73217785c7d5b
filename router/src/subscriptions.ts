// Subscriptions at the router's single endpoint: graphql-ws (graphql-transport-ws) on /graphql.
//
// @apollo/gateway plans subscriptions but refuses to execute them, so the router does it here, the
// way a federated router does: the query planner splits a subscription into a primary fetch (the
// subscription itself, sent to the owning subgraph over graphql-ws) and the rest of the plan
// (fields of other subgraphs, fetched through `_entities`). For every event the primary fetch
// delivers, the rest runs through the gateway's own plan executor — the event stands in for the
// primary fetch's response — and the result is shaped to the client's selection.
//
// Most subscriptions need no rest: the owning subgraph resolves every field asked for (tutorAnswer's
// deltas and message). For those, decided once per subscription from its plan, an event is shaped
// straight away with the gateway's own result shaping (computeResponse, what executeQueryPlan ends
// with), so the client receives the same bytes without a plan execution per event.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import { buildOperationContext, executeQueryPlan, type GraphQLDataSource, type ServiceMap } from '@apollo/gateway';
import type { GatewayGraphQLRequestContext, GatewaySchemaHash } from '@apollo/server-gateway-interface';
import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import { computeResponse } from '@apollo/gateway/dist/resultShaping.js';
import { type Operation, operationFromDocument, type Schema, Supergraph } from '@apollo/federation-internals';
import { type FetchNode, type PlanNode, type QueryPlan, QueryPlanner } from '@apollo/query-planner';
import { addressKey, FORWARDED_EXTENSION, type Identity, type IdentitySigner, type Logger, type Redis } from '@ai-teacher/shared/core';
import { type ExecutionArgs, type ExecutionResult, GraphQLError, type GraphQLFormattedError, type GraphQLSchema, Kind, print, specifiedRules, validate, type ValidationRule } from 'graphql';
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
/**
 * Events received from subgraphs and not yet sent on to clients, all subscriptions together: above
 * BACKLOG_HIGH the router stops reading its subgraph connections (TCP flow control: subgraphs wait)
 * until the backlog is down to BACKLOG_LOW, so a burst (one answer's delta to 10,000 subscribers)
 * is held by the kernel and the subgraph, not as parsed events in the router's heap.
 */
const BACKLOG_HIGH = 20_000;
const BACKLOG_LOW = 5_000;
/** Events one subscription may have waiting (its client not reading): past it, it ends and the client resubscribes. */
const SUBSCRIPTION_BACKLOG_MAX = 1_000;

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
  /** Open subgraph subscriptions serving them (identical ones share one). */
  upstream(): number;
  dispose(): Promise<void>;
}

export function attachSubscriptions(opts: SubscriptionOptions): RunningSubscriptions {
  const supergraph = Supergraph.build(opts.supergraphSdl);
  const apiSchema: Schema = supergraph.apiSchema();
  const apiGraphQLSchema: GraphQLSchema = apiSchema.toGraphQLJSSchema();
  const supergraphSchema: GraphQLSchema = supergraph.schema.toGraphQLJSSchema();
  const planner = new QueryPlanner(supergraph);
  const completion = new EventCompletion({ apiSchema, apiGraphQLSchema, supergraphSchema, serviceMap: opts.serviceMap, logger: opts.logger });
  const clients = new Map<string, Client>();
  /** Planned subscriptions by operation text, least recently used first. */
  const plans = new Map<string, PlannedSubscription | GraphQLError>();
  let active = 0;

  // Flow control from subgraphs (BACKLOG_HIGH): every subgraph connection's socket, to pause and resume.
  const upstreamSockets = new Set<WebSocket>();
  class UpstreamSocket extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args);
      upstreamSockets.add(this);
      this.once('close', () => upstreamSockets.delete(this));
      if (backlogPaused) this.pause();
    }
  }
  let backlog = 0;
  let backlogPaused = false;
  const received = () => {
    if (++backlog < BACKLOG_HIGH || backlogPaused) return;
    backlogPaused = true;
    for (const socket of upstreamSockets) socket.pause();
  };
  const delivered = (n: number) => {
    backlog -= n;
    if (!backlogPaused || backlog > BACKLOG_LOW) return;
    backlogPaused = false;
    for (const socket of upstreamSockets) socket.resume();
  };

  /**
   * Subgraph subscriptions, shared. Identical subscriptions (same subgraph, operation, variables
   * and identity) opened before the first one has received anything share one upstream
   * subscription: each receives exactly the events it would have had on its own (a subgraph that
   * replays history, as tutorAnswer does, replays it to the shared one). Once a shared one has
   * received an event, a newcomer opens its own. 10,000 students following one broadcast cost the
   * subgraph one subscription, not 10,000. Each subscriber has its own queue, counted in the
   * backlog (flow control above).
   */
  interface Listener {
    pending: SubscriptionEvent[];
    done: boolean;
    error: unknown;
    wake: (() => void) | null;
  }
  interface Upstream {
    listeners: Set<Listener>;
    dispose: () => void;
  }
  /** Upstream subscriptions that have received nothing yet, by share key: newcomers join them. */
  const joinable = new Map<string, Upstream>();
  /** Open subgraph subscriptions (each shared by one or more client subscriptions). */
  let upstreams = 0;

  function openUpstream(client: Client, payload: Parameters<Client['subscribe']>[0], shareKey: string): Upstream {
    const upstream: Upstream = { listeners: new Set(), dispose: () => undefined };
    joinable.set(shareKey, upstream);
    const closeToNewcomers = () => {
      if (joinable.get(shareKey) === upstream) joinable.delete(shareKey);
    };
    const end = (error: unknown) => {
      closeToNewcomers();
      for (const l of upstream.listeners) {
        l.done = true;
        l.error = error;
        l.wake?.();
      }
    };
      upstreams++;
    let disposed = false;
    const unsubscribe = client.subscribe<Record<string, unknown>>(payload, {
      next: (event) => {
        closeToNewcomers();
        for (const l of upstream.listeners) {
          if (l.done) continue;
          l.pending.push(event as SubscriptionEvent);
          received();
          if (l.pending.length > SUBSCRIPTION_BACKLOG_MAX) {
            // This client does not keep up: its events are dropped, it resumes (afterSeq) from what it saw.
            delivered(l.pending.length);
            l.pending.length = 0;
            l.done = true;
            l.error = new Error('the client does not read its events');
          }
          l.wake?.();
        }
      },
      error: (err) => end(err),
      complete: () => end(null),
    });
    upstream.dispose = () => {
      if (disposed) return;
      disposed = true;
      upstreams--;
      unsubscribe();
    };
    return upstream;
  }

  /** The events of one client subscription, from a shared upstream subscription. */
  async function* upstreamEvents(client: Client, payload: Parameters<Client['subscribe']>[0], shareKey: string): AsyncGenerator<SubscriptionEvent> {
    const upstream = joinable.get(shareKey) ?? openUpstream(client, payload, shareKey);
    const l: Listener = { pending: [], done: false, error: null, wake: null };
    upstream.listeners.add(l);
    try {
      for (;;) {
        if (l.pending.length) {
          const event = l.pending.shift()!;
          try {
            yield event;
          } finally {
            delivered(1);
          }
          continue;
        }
        if (l.error) throw l.error;
        if (l.done) return;
        await new Promise<void>((resolve) => (l.wake = resolve));
        l.wake = null;
      }
    } finally {
      delivered(l.pending.length);
      l.pending.length = 0;
      l.done = true;
      upstream.listeners.delete(l);
      if (upstream.listeners.size === 0) {
        if (joinable.get(shareKey) === upstream) joinable.delete(shareKey);
        upstream.dispose();
      }
    }
  }

  /** One multiplexed graphql-ws connection per subgraph. A dropped connection ends its
   * subscriptions with an error; clients resubscribe (with `afterSeq` where the field has it). */
  const clientFor = (service: string): Client => {
    let client = clients.get(service);
    if (!client) {
      const url = opts.subgraphUrl(service).replace(/^http/, 'ws');
      client = createClient({ url, webSocketImpl: UpstreamSocket, lazy: true, retryAttempts: 0, keepAlive: 15_000 });
      clients.set(service, client);
    }
    return client;
  };

  /** The subscription's plan (many clients send the same subscription: planned once). */
  const planOf = (args: ExecutionArgs): PlannedSubscription | GraphQLError => {
    const key = `${args.operationName ?? ''}\n${print(args.document)}`;
    let planned = plans.get(key);
    if (planned) plans.delete(key);
    else planned = completion.plan(() => planner.buildQueryPlan(operationFromDocument(apiSchema, args.document, { operationName: args.operationName ?? undefined })), args);
    // A failed plan is not kept: the next attempt plans again.
    if (planned instanceof GraphQLError) return planned;
    plans.set(key, planned);
    if (plans.size > PLAN_CACHE_SIZE) plans.delete(plans.keys().next().value!);
    return planned;
  };

  async function* federatedSubscribe(args: ExecutionArgs): AsyncGenerator<ExecutionResult> {
    const ctx = args.contextValue as RouterContext;
    const refused = await opts.admit?.(apiGraphQLSchema, args, {});
    if (refused) {
      yield { errors: [refused] };
      return;
    }
    const planned = planOf(args);
    if (planned instanceof GraphQLError) {
      yield { errors: [planned] };
      return;
    }
    const { primary } = planned;
    const variables = Object.fromEntries((primary.variableUsages ?? []).filter((n) => n in (args.variableValues ?? {})).map((n) => [n, args.variableValues![n]]));
    const headers = opts.signer.headers({ identity: ctx.identity, requestId: ctx.requestId, clientIp: ctx.clientIp }, { subgraph: primary.serviceName, query: primary.operation });
    const shareKey = JSON.stringify([primary.serviceName, ctx.identity ? `${ctx.identity.userId}:${ctx.identity.role}` : null, primary.operation, variables]);
    const upstream = upstreamEvents(clientFor(primary.serviceName), { query: primary.operation, variables, ...(primary.operationName ? { operationName: primary.operationName } : {}), extensions: { [FORWARDED_EXTENSION]: headers } }, shareKey);
    // Decided once: events shaped directly, or the rest of the plan run for each.
    const complete = completion.completer(planned, args);
    active++;
    try {
      for await (const event of upstream) {
        if (!event.data) {
          yield { errors: (event.errors ?? [{ message: 'The subscription failed' }]).map(toGraphQLError) };
          continue;
        }
        opts.onEvent?.();
        yield await complete(event);
      }
    } catch (err) {
      // The subgraph connection closed or refused the operation.
      const message = Array.isArray(err) ? (err as GraphQLFormattedError[]).map((e) => e.message).join('; ') : 'The subscription was interrupted; subscribe again to resume';
      opts.logger.warn({ requestId: ctx.requestId, service: primary.serviceName, err: Array.isArray(err) ? err : describeClose(err) }, 'subgraph subscription ended with an error');
      const extensions = Array.isArray(err) ? { code: (err as GraphQLFormattedError[])[0]?.extensions?.code ?? 'INTERNAL' } : { code: 'INTERNAL', resubscribe: true };
      yield { errors: [new GraphQLError(message, { extensions })] };
    } finally {
      active--;
      await upstream.return(undefined);
    }
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
    upstream: () => upstreams,
    async dispose() {
      await server.dispose();
      await slots.close();
      await Promise.all([...clients.values()].map((c) => c.dispose()));
    },
  };
}

/** An event of the primary fetch: the subgraph's response to the subscription, one event of it. */
export type SubscriptionEvent = { data?: Record<string, unknown> | null; errors?: readonly GraphQLFormattedError[] };

/** A subscription's plan, as every subscription with the same operation text shares it. */
export interface PlannedSubscription {
  /** The subscription itself, sent to the owning subgraph. */
  primary: FetchNode;
  /** The fetches of other subgraphs each event needs (`_entities`), if any. */
  rest: PlanNode | undefined;
  /**
   * Set when the primary fetch's events hold every field asked for (no fetch in `rest`): the
   * client's operation as executeQueryPlan shapes results with it, built once.
   */
  shaping: Operation | undefined;
}

/** What the completion of events works with: the router's schemas and the gateway's data sources. */
export interface FederationParts {
  apiSchema: Schema;
  apiGraphQLSchema: GraphQLSchema;
  supergraphSchema: GraphQLSchema;
  serviceMap: ServiceMap;
  logger: Logger;
}

/**
 * From a subgraph's event to the client's result. With a rest of the plan (fields of other
 * subgraphs), each event runs through the gateway's executeQueryPlan; without one, the event is
 * shaped directly by the gateway's result shaping — what executeQueryPlan itself would end with,
 * minus re-reading the operation, merging the event into an empty response and tracing spans.
 */
export class EventCompletion {
  private readonly parts: FederationParts;

  constructor(parts: FederationParts) {
    this.parts = parts;
  }

  /** A subscription's plan, and whether its events can skip the plan executor; errors as GraphQLError. */
  plan(build: () => QueryPlan, args: Pick<ExecutionArgs, 'document' | 'operationName'>): PlannedSubscription | GraphQLError {
    let plan: QueryPlan;
    try {
      plan = build();
    } catch (err) {
      return err instanceof GraphQLError ? err : new GraphQLError((err as Error).message);
    }
    const node = plan.node;
    if (node?.kind !== 'Subscription') return new GraphQLError('Only subscriptions are served over WebSocket; send queries and mutations over HTTP');
    const { primary, rest } = node;
    return { primary, rest, shaping: hasFetch(rest) || primary.outputRewrites?.length ? undefined : this.shapingOperation(args) };
  }

  /** The operation as executeQueryPlan reads it for result shaping (the selected operation and every fragment, unvalidated). */
  private shapingOperation(args: Pick<ExecutionArgs, 'document' | 'operationName'>): Operation | undefined {
    const operationContext = buildOperationContext({ schema: this.parts.apiGraphQLSchema, operationDocument: args.document, operationName: args.operationName ?? undefined });
    try {
      return operationFromDocument(this.parts.apiSchema, { kind: Kind.DOCUMENT, definitions: [operationContext.operation, ...Object.values(operationContext.fragments)] }, { validate: false });
    } catch {
      return undefined; // executeQueryPlan reports the error, event by event
    }
  }

  /**
   * One subscription's completion of its events. `direct: false` runs the plan executor even when
   * the plan does not need it (tests compare both).
   */
  completer(planned: PlannedSubscription, args: ExecutionArgs, { direct = true }: { direct?: boolean } = {}): (event: SubscriptionEvent) => ExecutionResult | Promise<ExecutionResult> {
    const { primary, rest, shaping } = planned;
    let operationContext: ReturnType<typeof buildOperationContext> | undefined;
    const executed = (event: SubscriptionEvent) => {
      operationContext ??= buildOperationContext({ schema: this.parts.apiGraphQLSchema, operationDocument: args.document, operationName: args.operationName ?? undefined });
      return this.execute(primary, rest, event, args, operationContext);
    };
    if (!shaping || !direct) return executed;
    const variables = (args.variableValues ?? {}) as Record<string, unknown>;
    // Events with errors take the executor's path: it rewrites their paths and messages.
    return (event) => (event.errors?.length ? executed(event) : shape(shaping, variables, event.data));
  }

  /** The rest of the plan for one event: entity fetches, then shaping to the client's selection. */
  private async execute(primary: FetchNode, rest: PlanNode | undefined, event: SubscriptionEvent, args: ExecutionArgs, operationContext: ReturnType<typeof buildOperationContext>): Promise<ExecutionResult> {
    // A copy: events are shared by every subscriber of one upstream subscription, and the executor
    // merges entity data into what it is given.
    const eventSource: GraphQLDataSource = { process: async () => ({ data: structuredClone(event.data) as Record<string, unknown>, ...(event.errors ? { errors: event.errors as GraphQLFormattedError[] } : {}) }) } as GraphQLDataSource;
    const eventFetch: FetchNode = { ...primary, serviceName: EVENT_SOURCE };
    const queryPlan: QueryPlan = { kind: 'QueryPlan', node: rest ? { kind: 'Sequence', nodes: [eventFetch, rest] } : eventFetch };
    // What executeQueryPlan reads of a request: the variables, the operation and the context.
    const requestContext: GatewayGraphQLRequestContext<RouterContext> = {
      request: { query: '', variables: (args.variableValues ?? {}) as Record<string, unknown>, operationName: args.operationName ?? undefined },
      context: args.contextValue as RouterContext,
      logger: this.parts.logger,
      schema: this.parts.apiGraphQLSchema,
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
    const result = await executeQueryPlan(queryPlan, { ...this.parts.serviceMap, [EVENT_SOURCE]: eventSource }, requestContext, operationContext, this.parts.supergraphSchema, this.parts.apiSchema);
    return result as ExecutionResult;
  }
}

/** Whether a plan node fetches anything. */
function hasFetch(node: PlanNode | undefined): boolean {
  switch (node?.kind) {
    case undefined:
      return false;
    case 'Sequence':
    case 'Parallel':
      return node.nodes.some(hasFetch);
    case 'Flatten':
      return hasFetch(node.node);
    case 'Condition':
      return hasFetch(node.ifClause) || hasFetch(node.elseClause);
    default:
      return true; // a fetch, or a node the direct path does not know: the executor's path
  }
}

/** An event shaped to the client's selection exactly as executeQueryPlan's post-processing does it (same results, same errors). */
function shape(operation: Operation, variables: Record<string, unknown>, input: Record<string, unknown> | null | undefined): ExecutionResult {
  try {
    const { data, errors } = computeResponse({ operation, variables, input, introspectionHandling: noIntrospection });
    return (errors.length ? { extensions: { valueCompletion: errors }, data } : { data }) as ExecutionResult;
  } catch (error) {
    if (error instanceof GraphQLError) return { errors: [error] };
    if (error instanceof Error) return { errors: [new GraphQLError(error.message, { originalError: error })] };
    return { errors: [new GraphQLError('Unexpected error during query plan execution')] };
  }
}

/** A subscription selects no __schema or __type (they are Query fields). */
function noIntrospection(): never {
  throw new GraphQLError('Introspection is not served over subscriptions');
}

/** graphql-js appends "Did you mean …?" from the schema; production does not reveal the schema. */
function withoutSuggestions(e: GraphQLError): GraphQLError {
  const i = e.message.indexOf(' Did you mean ');
  return i < 0 ? e : new GraphQLError(e.message.slice(0, i), { nodes: e.nodes ?? null, ...(e.extensions ? { extensions: e.extensions } : {}) });
}

/** What ended a subgraph subscription: an Error, or the connection's close event (code and reason). */
function describeClose(err: unknown): string {
  if (err instanceof Error) return err.message;
  const close = err as { code?: unknown; reason?: unknown } | null;
  return close && typeof close === 'object' && 'code' in close ? `connection closed: ${String(close.code)} ${String(close.reason ?? '')}`.trim() : String(err);
}

function toGraphQLError(e: GraphQLFormattedError): GraphQLError {
  return new GraphQLError(e.message, { ...(e.path ? { path: e.path } : {}), ...(e.extensions ? { extensions: e.extensions } : {}) });
}
