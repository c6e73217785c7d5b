import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  operations: Counter<'operation' | 'type' | 'outcome'>;
  operationDuration: Histogram<'operation' | 'type'>;
  dbQueries: Counter;
  /** Reports a Postgres pool's clients on every scrape (`db_pool_*{pool, role}`); nothing per query. */
  watchDbPool(pool: string, role: 'primary' | 'read', source: DbPoolLike): void;
  /**
   * Reports a Redis connection on every scrape (`redis_*{connection}`). `ping`: also time a PING
   * (never on a connection that blocks, e.g. a BullMQ worker's). Connections under one label add up.
   */
  watchRedis(connection: RedisConnectionKind, source: RedisLike, opts?: { ping?: boolean }): void;
}

/** What the pool gauges read from a `pg` Pool. */
export interface DbPoolLike {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
  readonly options: { max?: number | undefined };
}

/** What the Redis gauges read from an ioredis client. */
export interface RedisLike {
  readonly status: string;
  readonly commandQueue: { length: number };
  ping(): Promise<string>;
}

/** A fixed set, so the label stays bounded however many connections a process opens. */
export type RedisConnectionKind = 'client' | 'queue' | 'worker' | 'pubsub';

const REDIS_PING_TIMEOUT_MS = 1_000;

/** One registry per process, labelled with the service name. */
export function createMetrics(service: string): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    operations: new Counter({
      name: 'graphql_operations_total',
      help: 'GraphQL operations by name, type and outcome',
      labelNames: ['operation', 'type', 'outcome'],
      registers: [registry],
    }),
    operationDuration: new Histogram({
      name: 'graphql_operation_duration_seconds',
      help: 'GraphQL operation duration',
      labelNames: ['operation', 'type'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    dbQueries: new Counter({ name: 'db_queries_total', help: 'SQL statements sent to Postgres', registers: [registry] }),
    ...saturationGauges(registry),
  };
}

/**
 * Postgres pool and Redis connection gauges, read when Prometheus scrapes (never per request or
 * per query): whatever a process watches is looked at once per scrape.
 */
function saturationGauges(registry: Registry): Pick<Metrics, 'watchDbPool' | 'watchRedis'> {
  const pools: { pool: string; role: string; source: DbPoolLike }[] = [];
  const redises: { connection: RedisConnectionKind; source: RedisLike; ping: boolean }[] = [];
  const poolGauge = (name: string, help: string, read: (p: DbPoolLike) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['pool', 'role'],
      registers: [registry],
      collect() {
        this.reset();
        for (const p of pools) this.inc({ pool: p.pool, role: p.role }, read(p.source));
      },
    });
  poolGauge('db_pool_max_clients', 'Largest number of Postgres connections the pool may open (DB_POOL_MAX)', (p) => p.options.max ?? 10);
  poolGauge('db_pool_total_clients', 'Postgres connections the pool holds (idle and in use)', (p) => p.totalCount);
  poolGauge('db_pool_idle_clients', 'Postgres connections idle in the pool', (p) => p.idleCount);
  poolGauge('db_pool_waiting_requests', 'Queries waiting for a pool connection (the pool is saturated while this is above 0)', (p) => p.waitingCount);

  // One PING per watched connection per scrape, shared by both gauges below.
  let probe: Promise<Map<RedisLike, number | null>> | undefined;
  const pingAll = () =>
    (probe ??= (async () => {
      const results = new Map<RedisLike, number | null>();
      await Promise.all(
        redises.filter((r) => r.ping).map(async (r) => results.set(r.source, await timedPing(r.source))),
      );
      setImmediate(() => (probe = undefined));
      return results;
    })());
  new Gauge({
    name: 'redis_up',
    help: 'Redis connections that are ready (and answered a PING within 1 s where pinged), by kind',
    labelNames: ['connection'],
    registers: [registry],
    async collect() {
      const pings = await pingAll();
      const up = new Map<string, number>();
      for (const r of redises) {
        const ok = r.source.status === 'ready' && (!r.ping || pings.get(r.source) != null) ? 1 : 0;
        up.set(r.connection, Math.min(up.get(r.connection) ?? 1, ok));
      }
      this.reset();
      for (const [connection, value] of up) this.set({ connection }, value);
    },
  });
  new Gauge({
    name: 'redis_ping_seconds',
    help: 'Round trip of a PING at scrape time (slowest connection of the kind); absent when none answered',
    labelNames: ['connection'],
    registers: [registry],
    async collect() {
      const pings = await pingAll();
      const slowest = new Map<string, number>();
      for (const r of redises) {
        const took = pings.get(r.source);
        if (took != null) slowest.set(r.connection, Math.max(slowest.get(r.connection) ?? 0, took));
      }
      this.reset();
      for (const [connection, value] of slowest) this.set({ connection }, value);
    },
  });
  new Gauge({
    name: 'redis_commands_pending',
    help: 'Redis commands sent and not yet answered, plus those queued while disconnected',
    labelNames: ['connection'],
    registers: [registry],
    collect() {
      this.reset();
      for (const r of redises) {
        const offline = (r.source as unknown as { offlineQueue?: { length: number } }).offlineQueue?.length ?? 0;
        this.inc({ connection: r.connection }, r.source.commandQueue.length + offline);
      }
    },
  });
  return {
    watchDbPool: (pool, role, source) => void pools.push({ pool, role, source }),
    watchRedis: (connection, source, opts = {}) => void redises.push({ connection, source, ping: opts.ping ?? false }),
  };
}

/** Seconds a PING took, or null when it failed or took over a second. */
async function timedPing(redis: RedisLike): Promise<number | null> {
  if (redis.status !== 'ready') return null;
  const started = process.hrtime.bigint();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.ping(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), REDIS_PING_TIMEOUT_MS);
      }),
    ]);
    return Number(process.hrtime.bigint() - started) / 1e9;
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Label values that come from clients (operation names, client names) kept to a bounded set, so a
 * client cannot grow the metrics without limit: names that are not GraphQL-name-like, longer than
 * 64 characters, or new once `max` distinct values were seen are reported as "other".
 */
export class LabelBudget {
  private readonly seen = new Set<string>();
  private readonly max: number;
  constructor(max = 200) {
    this.max = max;
  }
  label(value: string | null | undefined, absent = 'anonymous'): string {
    if (!value) return absent;
    if (this.seen.has(value)) return value;
    if (value.length > 64 || !/^[A-Za-z0-9_.\-@/ ]+$/.test(value) || this.seen.size >= this.max) return 'other';
    this.seen.add(value);
    return value;
  }
}

/** Counts and times every GraphQL operation by name, type and outcome (router and subgraphs alike). */
export function operationMetricsPlugin<T extends BaseContext>(metrics: Metrics): ApolloServerPlugin<T> {
  const names = new LabelBudget();
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse(ctx) {
          const operation = names.label(ctx.operationName);
          const type = ctx.operation?.operation ?? 'unknown';
          metrics.operations.inc({ operation, type, outcome: ctx.errors?.length ? 'error' : 'ok' });
          metrics.operationDuration.observe({ operation, type }, Number(process.hrtime.bigint() - started) / 1e9);
        },
      };
    },
  };
}
