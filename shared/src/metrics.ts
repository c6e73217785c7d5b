import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  operations: Counter<'operation' | 'type' | 'outcome'>;
  operationDuration: Histogram<'operation' | 'type'>;
  dbQueries: Counter;
}

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
  };
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
