import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { GatewayGraphQLRequest } from '@apollo/server-gateway-interface';
import { Agent } from 'undici';
import { sendSubgraphRequest } from './subgraph-transport.ts';

let server: Server;
let url: string;
const agent = new Agent();
const seen: { headers: Record<string, unknown>; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ headers: req.headers, body });
      const route = req.url ?? '';
      if (route === '/ok') return res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'max-age=60' }).end('{"data":{"me":{"id":"1"}}}');
      if (route === '/refused') return res.writeHead(401, { 'content-type': 'application/json' }).end('{"errors":[{"message":"no proof"}]}');
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>proxy error</html>');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await agent.close();
  await new Promise((r) => server.close(r));
});

const req = (path: string): GatewayGraphQLRequest =>
  ({ query: '{ me { id } }', variables: { a: 1 }, http: { method: 'POST', url: `${url}${path}`, headers: new Headers({ 'content-type': 'application/json', 'x-identity-proof': 'p' }) } }) as unknown as GatewayGraphQLRequest;

describe('subgraph requests over undici', () => {
  it('posts the request without its http part, with the headers set by the data source, and parses the JSON answer', async () => {
    const result = await sendSubgraphRequest(agent, req('/ok'));
    expect(result.body).toEqual({ data: { me: { id: '1' } } });
    expect(result.response.headers.get('Cache-Control')).toBe('max-age=60');
    expect(JSON.parse(seen.at(-1)!.body)).toEqual({ query: '{ me { id } }', variables: { a: 1 } });
    expect(seen.at(-1)!.headers['x-identity-proof']).toBe('p');
  });

  it('hands a non-2xx answer back for the data source’s error path, body readable', async () => {
    const result = await sendSubgraphRequest(agent, req('/refused'));
    expect(result.body).toBeUndefined();
    expect(result.response.ok).toBe(false);
    expect(result.response.status).toBe(401);
    expect(await result.response.json()).toEqual({ errors: [{ message: 'no proof' }] });
  });

  it('refuses a 200 that is not JSON', async () => {
    await expect(sendSubgraphRequest(agent, req('/html'))).rejects.toThrow(/Expected JSON response body/);
  });
});
