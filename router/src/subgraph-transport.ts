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

/** POSTs one subgraph request as JSON; the parsed body, or the response for the data source's error path. */
export async function sendSubgraphRequest(dispatcher: Dispatcher, graphqlRequest: GatewayGraphQLRequest): Promise<{ body: GatewayGraphQLResponse; response: SubgraphHttpResponse } | { body?: undefined; response: SubgraphHttpResponse }> {
  const { http, ...payload } = graphqlRequest;
  if (!http) throw new Error("Internal error: Only 'http' requests are supported.");
  const headers: Record<string, string> = {};
  for (const [name, value] of http.headers as unknown as Iterable<[string, string]>) headers[name] = value;
  const res = await request(http.url, { method: 'POST', headers, body: JSON.stringify(payload), dispatcher });
  const text = await res.body.text();
  const ok = res.statusCode >= 200 && res.statusCode < 300;
  const response: SubgraphHttpResponse = {
    url: http.url,
    ok,
    status: res.statusCode,
    statusText: '',
    headers: headerReader(res.headers),
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
