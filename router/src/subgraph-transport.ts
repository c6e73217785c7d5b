// Subgraph fetches on undici's `request` rather than `fetch`. RemoteGraphQLDataSource.sendRequest
// builds a node-fetch Request per fetch (only for its error hooks) and then goes through a WHATWG
// fetch, whose Request/Response objects and web streams cost more CPU than the JSON itself: on the
// gateway benchmark's deep query (16 subgraph fetches per request) the fetch path was the largest
// single cost in the router's profile. `request` gives the status, headers and a body to read, and
// nothing else is needed to answer the gateway.
import type { GatewayGraphQLRequest, GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { type Dispatcher, request } from 'undici';

/** What RemoteGraphQLDataSource and its hooks read of a response (`errorFromResponse`, `respond`). */
export interface SubgraphHttpResponse {
  url: string;
  ok: boolean;
  status: number;
  statusText: string;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
  json(): Promise<unknown>;
}

function headerReader(raw: Record<string, string | string[] | undefined>): SubgraphHttpResponse['headers'] {
  return {
    get(name: string) {
      const v = raw[name.toLowerCase()];
      return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
    },
  };
}

type SubgraphResult = { body: GatewayGraphQLResponse; response: SubgraphHttpResponse } | { body?: undefined; response: SubgraphHttpResponse };

/** A subgraph's answer as received: status, headers and the body's text, parsed by each reader. */
interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

async function post(dispatcher: Dispatcher, url: string, headers: Record<string, string>, body: string): Promise<RawAnswer> {
  const res = await request(url, { method: 'POST', headers, body, dispatcher });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

/** The parsed body of a JSON answer, or the response for the data source's error path. */
function read(url: string, raw: RawAnswer): SubgraphResult {
  const { text } = raw;
  const ok = raw.status >= 200 && raw.status < 300;
  const response: SubgraphHttpResponse = {
    url,
    ok,
    status: raw.status,
    statusText: '',
    headers: headerReader(raw.headers),
    text: async () => text,
    json: async () => JSON.parse(text) as unknown,
  };
  if (!ok) return { response };
  const contentType = response.headers.get('content-type') ?? '';
  if (!contentType.startsWith('application/json') && !contentType.startsWith('application/graphql-response+json')) {
    throw new Error(`Expected JSON response body, but received: ${text.slice(0, 200)}`);
  }
  const body = JSON.parse(text) as unknown;
  if (body === null || typeof body !== 'object') throw new Error(`Expected JSON response body, but received: ${text.slice(0, 200)}`);
  return { body: body as GatewayGraphQLResponse, response };
}

function copyOf(err: unknown): Error {
  if (!(err instanceof Error)) return new Error(String(err));
  const copy = new Error(err.message, { cause: err });
  copy.name = err.name;
  if ('code' in err) Object.assign(copy, { code: err.code });
  return copy;
}

/**
 * Subgraph fetches with identical queries in flight shared: a fetch whose `sharedAs` key (the
 * subgraph and the identity it is made for) and body equal those of one already on its way waits
 * for that one's answer instead of sending its own. Each caller parses the answer itself, because
 * the gateway merges what it gets into its own request's result (and edits it on the way). Only
 * queries are offered for sharing (never mutations), and only while the first is in flight:
 * nothing is cached. The same idea as the Apollo Router's `deduplicate_query` and Hive Gateway's
 * in-flight request deduplication.
 */
export class SubgraphFetcher {
  private readonly inflight = new Map<string, Promise<RawAnswer>>();

  private readonly dispatcher: Dispatcher;
  private readonly onShared: (subgraph: string) => void;

  constructor(dispatcher: Dispatcher, onShared: (subgraph: string) => void = () => undefined) {
    this.dispatcher = dispatcher;
    this.onShared = onShared;
  }

  /**
   * Sends `payload` to `url`; `headers` is called only when this fetch is the one sent. With
   * `share`, an identical fetch already in flight for the same key is waited for instead.
   */
  async send(url: string, headers: () => Record<string, string>, payload: Omit<GatewayGraphQLRequest, 'http'>, share?: { subgraph: string; key: string }): Promise<SubgraphResult> {
    const body = JSON.stringify(payload);
    if (!share) return read(url, await post(this.dispatcher, url, headers(), body));
    const key = `${share.subgraph}\n${share.key}\n${body}`;
    const pending = this.inflight.get(key);
    if (pending) {
      this.onShared(share.subgraph);
      let answer: RawAnswer;
      try {
        answer = await pending;
      } catch (err) {
        throw copyOf(err); // each request's errors are its own (the gateway and formatters may annotate them)
      }
      return read(url, answer);
    }
    const sent = post(this.dispatcher, url, headers(), body);
    this.inflight.set(key, sent);
    try {
      return read(url, await sent);
    } finally {
      this.inflight.delete(key);
    }
  }

  /** Fetches in flight that others may share (for tests and metrics). */
  get sharable(): number {
    return this.inflight.size;
  }
}
