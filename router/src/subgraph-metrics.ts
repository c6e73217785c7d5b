import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { Histogram, type Registry } from 'prom-client';

export type FetchOutcome = 'ok' | 'error' | 'failure';

/**
 * How long the router waits for each subgraph fetch, by subgraph and outcome: `ok`, `error` (the
 * subgraph answered with GraphQL errors) or `failure` (no usable answer: network, HTTP status,
 * timeout). Subgraph names come from the supergraph, so the labels are bounded; the histogram's
 * children are bound once, so a fetch costs one clock read and one observation.
 */
export class SubgraphFetchMetrics {
  private readonly children = new Map<string, Record<FetchOutcome, Histogram.Internal<'subgraph' | 'outcome'>>>();
  private readonly histogram: Histogram<'subgraph' | 'outcome'>;

  constructor(registry: Registry, subgraphs: string[]) {
    this.histogram = new Histogram({
      name: 'subgraph_fetch_duration_seconds',
      help: "Router to subgraph fetches (one per query-plan fetch node), by subgraph and outcome",
      labelNames: ['subgraph', 'outcome'],
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
    for (const subgraph of subgraphs) this.childrenOf(subgraph);
  }

  private childrenOf(subgraph: string) {
    let c = this.children.get(subgraph);
    if (!c) {
      const bind = (outcome: FetchOutcome) => {
        this.histogram.zero({ subgraph, outcome });
        return this.histogram.labels({ subgraph, outcome });
      };
      c = { ok: bind('ok'), error: bind('error'), failure: bind('failure') };
      this.children.set(subgraph, c);
    }
    return c;
  }

  /** Times one fetch. */
  async time(subgraph: string, fetch: () => Promise<GatewayGraphQLResponse>): Promise<GatewayGraphQLResponse> {
    const started = process.hrtime.bigint();
    const children = this.childrenOf(subgraph);
    try {
      const response = await fetch();
      children[response.errors?.length ? 'error' : 'ok'].observe(Number(process.hrtime.bigint() - started) / 1e9);
      return response;
    } catch (err) {
      children.failure.observe(Number(process.hrtime.bigint() - started) / 1e9);
      throw err;
    }
  }
}
