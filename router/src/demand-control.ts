// What the public endpoint lets one caller spend: each operation's estimated cost (cost.ts) is
// checked against a maximum, then charged to the caller's budget in Redis (shared by every router
// replica: per user, anonymous callers per address), with tighter limits for the sign-in mutations.
// Estimated and actual cost, and every refusal, are recorded on the router's metrics.
import { type ApolloServerPlugin, type GraphQLRequestContext, type GraphQLRequestContextDidResolveOperation, HeaderMap } from '@apollo/server';
import { addressKey, LabelBudget, type Logger, type Redis } from '@ai-teacher/shared/core';
import { type DocumentNode, type ExecutionArgs, GraphQLError, type GraphQLSchema, Kind, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import { Counter, Histogram, type Registry } from 'prom-client';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { CostCalculator, CostDirectives, CostEstimateError } from './cost.ts';
import { SIGN_IN_FIELDS } from './limits.ts';
import type { RouterContext } from './router.ts';

export interface DemandControlOptions {
  supergraphSdl: string;
  /** `measure` records costs only; `enforce` also refuses operations over `maxCost`. */
  mode: 'measure' | 'enforce';
  maxCost: number;
  defaultListSize: number;
  /** Cost one signed-in user may spend per window (0: no limit). */
  userCostPerWindow: number;
  /** Cost one address may spend per window without signing in (0: no limit). */
  anonymousCostPerWindow: number;
  /** register/login/refreshToken calls per address per window (0: no limit). */
  signInPerWindow: number;
  windowSeconds: number;
  redis: Redis;
  registry: Registry;
  logger: Logger;
}

/** What a request was charged, kept on the context for the response hooks. */
interface Charge {
  estimated: number;
  limit?: { limit: number; remaining: number; resetSeconds: number; window: number };
}

/** Longest operation-name-plus-variables key an estimate is cached under. */
const MAX_CACHED_KEY_LENGTH = 4_096;

const COST_BUCKETS = [0, 1, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 50_000, 100_000];
const DELTA_BUCKETS = [-10_000, -1_000, -100, -10, -1, 0, 1, 10, 100, 1_000, 10_000];

export class DemandControl {
  readonly calculator: CostCalculator;
  private readonly userLimiter?: RateLimiterRedis;
  private readonly anonymousLimiter?: RateLimiterRedis;
  private readonly signInLimiter?: RateLimiterRedis;
  private readonly estimated: Histogram<'operation' | 'client_name' | 'client_version' | 'result'>;
  private readonly actual: Histogram<'operation' | 'client_name' | 'client_version'>;
  private readonly delta: Histogram<'operation' | 'client_name' | 'client_version'>;
  private readonly rejected: Counter<'reason' | 'operation'>;
  private readonly operations = new LabelBudget();
  private readonly clients = new LabelBudget(50);
  private readonly versions = new LabelBudget(100);
  private readonly charges = new WeakMap<object, Charge>();

  private readonly opts: DemandControlOptions;
  constructor(opts: DemandControlOptions) {
    this.opts = opts;
    this.calculator = new CostCalculator(CostDirectives.fromSupergraph(opts.supergraphSdl), opts.defaultListSize);
    const limiter = (keyPrefix: string, points: number) =>
      points > 0
        ? new RateLimiterRedis({
            storeClient: opts.redis,
            keyPrefix,
            points,
            duration: opts.windowSeconds,
            // Redis down: each replica keeps counting in memory rather than letting everything through.
            insuranceLimiter: new RateLimiterMemory({ keyPrefix, points, duration: opts.windowSeconds }),
          })
        : undefined;
    this.userLimiter = limiter('cost-user', opts.userCostPerWindow);
    this.anonymousLimiter = limiter('cost-ip', opts.anonymousCostPerWindow);
    this.signInLimiter = limiter('sign-in-ip', opts.signInPerWindow);
    const labels = ['operation', 'client_name', 'client_version'] as const;
    this.estimated = new Histogram({ name: 'graphql_cost_estimated', help: 'Estimated cost of each operation before execution (Apollo cost/v0.1 rules); result: ok, or the refusal', labelNames: [...labels, 'result'], buckets: COST_BUCKETS, registers: [opts.registry] });
    this.actual = new Histogram({ name: 'graphql_cost_actual', help: 'Actual cost of each executed operation, from its response', labelNames: labels, buckets: COST_BUCKETS, registers: [opts.registry] });
    this.delta = new Histogram({ name: 'graphql_cost_delta', help: 'Actual minus estimated cost of each executed operation', labelNames: labels, buckets: DELTA_BUCKETS, registers: [opts.registry] });
    this.rejected = new Counter({ name: 'graphql_operations_rejected_total', help: 'Operations refused before execution, by reason', labelNames: ['reason', 'operation'], registers: [opts.registry] });
  }

  /** Counts a refusal made elsewhere (operation limits, persisted operations, body size). */
  countRejection(reason: string, operationName?: string | null): void {
    this.rejected.inc({ reason, operation: this.operations.label(operationName) });
  }

  /**
   * Estimates, enforces and charges one operation; returns the charge or throws the GraphQL error the
   * client gets (COST_LIMIT_EXCEEDED, RATE_LIMITED, or BAD_USER_INPUT for a missing slicing argument).
   */
  async admit(args: { schema: GraphQLSchema; document: DocumentNode; operation: OperationDefinitionNode; variables: Record<string, unknown>; context: RouterContext; client: ClientLabels }): Promise<Charge> {
    const operationName = args.operation.name?.value;
    const labels = this.labelsOf(operationName, args.client);
    let estimated: number;
    try {
      estimated = this.estimateCached(args.schema, args.document, args.operation, args.variables);
    } catch (err) {
      if (err instanceof CostEstimateError) this.countRejection('cost_estimate', operationName);
      throw err;
    }
    if (this.opts.mode === 'enforce' && estimated > this.opts.maxCost) {
      this.estimated.observe({ ...labels, result: 'cost_limit' }, estimated);
      this.countRejection('cost', operationName);
      throw new GraphQLError(`This operation's estimated cost (${estimated}) is over the limit of ${this.opts.maxCost}; select fewer fields or ask for smaller pages`, {
        extensions: { code: 'COST_LIMIT_EXCEEDED', cost: { estimated, max: this.opts.maxCost }, http: { status: 400 } },
      });
    }
    if (this.opts.mode === 'measure' && estimated > this.opts.maxCost) this.opts.logger.warn({ operation: operationName, estimated, max: this.opts.maxCost }, 'operation over the cost limit (measure mode: not refused)');

    const address = addressKey(args.context.clientIp);
    if (this.signInLimiter && args.operation.operation === 'mutation' && selectsSignIn(args.document, args.operation.selectionSet)) {
      await this.consume(this.signInLimiter, address, 1, 'sign_in', operationName, labels);
    }
    const identity = args.context.identity;
    const limiter = identity ? this.userLimiter : this.anonymousLimiter;
    const charge: Charge = { estimated };
    if (limiter) {
      const key = identity ? identity.userId : address;
      const res = await this.consume(limiter, key, Math.max(1, Math.ceil(estimated)), 'rate_limit', operationName, labels);
      charge.limit = { limit: limiter.points, remaining: res.remainingPoints, resetSeconds: Math.ceil(res.msBeforeNext / 1000), window: this.opts.windowSeconds };
    }
    this.estimated.observe({ ...labels, result: 'ok' }, estimated);
    return charge;
  }

  /**
   * Apollo Server keeps one parsed document per distinct operation text, so estimates are kept per
   * document and variables (a few per document): a repeated operation is not walked again.
   */
  private readonly estimates = new WeakMap<DocumentNode, Map<string, number>>();
  private estimateCached(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>): number {
    const key = `${operation.name?.value ?? ''}\n${JSON.stringify(variables)}`;
    let byVariables = this.estimates.get(document);
    const hit = byVariables?.get(key);
    if (hit !== undefined) return hit;
    const estimated = this.calculator.estimate(schema, document, operation, variables);
    // Large variables (a bulk import's document) are not kept as keys: estimating again is cheaper than holding them.
    if (key.length > MAX_CACHED_KEY_LENGTH) return estimated;
    if (!byVariables) this.estimates.set(document, (byVariables = new Map()));
    if (byVariables.size >= 32) byVariables.delete(byVariables.keys().next().value!);
    byVariables.set(key, estimated);
    return estimated;
  }

  private async consume(limiter: RateLimiterRedis, key: string, points: number, reason: string, operationName: string | undefined, labels: Labels): Promise<RateLimiterRes> {
    try {
      return await limiter.consume(key, points);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      this.estimated.observe({ ...labels, result: reason }, points);
      this.countRejection(reason, operationName);
      const retryAfter = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
      const message =
        reason === 'sign_in'
          ? `Too many sign-in attempts from this address; try again in ${retryAfter} s`
          : points > limiter.points
            ? `This operation costs ${points}, more than the ${limiter.points} allowed per ${this.opts.windowSeconds} s`
            : `Rate limit reached (${limiter.points} cost per ${this.opts.windowSeconds} s); try again in ${retryAfter} s`;
      const headers = new HeaderMap([
        ['retry-after', String(retryAfter)],
        ...Object.entries(rateLimitHeaders({ limit: limiter.points, remaining: 0, resetSeconds: retryAfter, window: this.opts.windowSeconds })),
      ]);
      throw new GraphQLError(message, { extensions: { code: 'RATE_LIMITED', retryAfter, http: { status: 429, headers } } });
    }
  }

  /** Records the actual cost of an executed operation from its response data. */
  recordActual(args: { schema: GraphQLSchema; document: DocumentNode; operation: OperationDefinitionNode; variables: Record<string, unknown>; data: unknown; estimated: number; client: ClientLabels }): number {
    const actual = this.calculator.actual(args.schema, args.document, args.operation, args.variables, args.data);
    const labels = this.labelsOf(args.operation.name?.value, args.client);
    this.actual.observe(labels, actual);
    this.delta.observe(labels, actual - args.estimated);
    return actual;
  }

  private labelsOf(operationName: string | undefined, client: ClientLabels): Labels {
    return { operation: this.operations.label(operationName), client_name: this.clients.label(client.name, 'unknown'), client_version: this.versions.label(client.version, 'unknown') };
  }

  /** Apollo Server plugin: admit before execution, headers and actual cost on the response. */
  plugin(): ApolloServerPlugin<RouterContext> {
    return {
      requestDidStart: async () => ({
        didResolveOperation: async (rc: GraphQLRequestContextDidResolveOperation<RouterContext>) => {
          if (!rc.operation) return;
          const charge = await this.admit({ schema: rc.schema, document: rc.document, operation: rc.operation, variables: rc.request.variables ?? {}, context: rc.contextValue, client: clientOf(rc) });
          this.charges.set(rc.contextValue, charge);
          if (charge.limit) for (const [name, value] of Object.entries(rateLimitHeaders(charge.limit))) rc.response.http.headers.set(name, value);
        },
        didEncounterErrors: async (rc) => {
          // Refusals before execution that were not counted above (operation limits, persisted queries).
          if (rc.operation && this.charges.has(rc.contextValue)) return;
          const code = rc.errors.find((e) => typeof e.extensions?.code === 'string')?.extensions?.code as string | undefined;
          const reason = code && REJECTION_REASONS[code];
          if (reason && !(code === 'RATE_LIMITED' || code === 'COST_LIMIT_EXCEEDED')) this.countRejection(reason, rc.request.operationName);
        },
        willSendResponse: async (rc) => {
          const charge = this.charges.get(rc.contextValue);
          if (!charge || !rc.operation || !rc.document || rc.response.body.kind !== 'single') return;
          this.recordActual({ schema: rc.schema, document: rc.document, operation: rc.operation, variables: rc.request.variables ?? {}, data: rc.response.body.singleResult.data, estimated: charge.estimated, client: clientOf(rc) });
        },
      }),
    };
  }

  /** For subscriptions: the same admission when a subscription starts (errors instead of throwing). */
  async admitSubscription(schema: GraphQLSchema, args: ExecutionArgs, client: ClientLabels): Promise<GraphQLError | undefined> {
    const operation = args.document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION && (!args.operationName || d.name?.value === args.operationName));
    if (!operation) return undefined;
    try {
      await this.admit({ schema, document: args.document, operation, variables: (args.variableValues ?? {}) as Record<string, unknown>, context: args.contextValue as RouterContext, client });
      return undefined;
    } catch (err) {
      if (err instanceof GraphQLError) {
        const { http: _http, ...extensions } = err.extensions as Record<string, unknown>;
        return new GraphQLError(err.message, { extensions });
      }
      throw err;
    }
  }
}

type Labels = { operation: string; client_name: string; client_version: string };
export type ClientLabels = { name?: string | undefined; version?: string | undefined };

const REJECTION_REASONS: Record<string, string> = {
  GRAPHQL_VALIDATION_FAILED: 'validation',
  GRAPHQL_PARSE_FAILED: 'parse',
  PERSISTED_QUERY_NOT_FOUND: 'persisted_query',
  PERSISTED_QUERY_NOT_IN_LIST: 'persisted_query',
};

function clientOf(rc: GraphQLRequestContext<RouterContext>): ClientLabels {
  const headers = rc.request.http?.headers;
  return { name: headers?.get('apollographql-client-name'), version: headers?.get('apollographql-client-version') };
}

/** The IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers-07 form). */
export function rateLimitHeaders(l: { limit: number; remaining: number; resetSeconds: number; window: number }): Record<string, string> {
  return {
    'ratelimit-policy': `${l.limit};w=${l.window}`,
    ratelimit: `limit=${l.limit}, remaining=${Math.max(0, l.remaining)}, reset=${Math.max(0, l.resetSeconds)}`,
  };
}

function selectsSignIn(document: DocumentNode, set: SelectionSetNode, seen = new Set<string>()): boolean {
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD && SIGN_IN_FIELDS.has(s.name.value)) return true;
    if (s.kind === Kind.INLINE_FRAGMENT && selectsSignIn(document, s.selectionSet, seen)) return true;
    if (s.kind === Kind.FRAGMENT_SPREAD && !seen.has(s.name.value)) {
      seen.add(s.name.value);
      const f = document.definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === s.name.value);
      if (f && f.kind === Kind.FRAGMENT_DEFINITION && selectsSignIn(document, f.selectionSet, seen)) return true;
    }
  }
  return false;
}
