import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Agent } from 'undici';
import { SubgraphFetcher } from './subgraph-transport.ts';

let server: Server;
let url: string;
const agent = new Agent();
const seen: { path: string; headers: Record<string, unknown>; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ path: req.url ?? '', headers: req.headers, body });
      const route = req.url ?? '';
      if (route === '/ok') return res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'max-age=60' }).end('{"data":{"me":{"id":"1"}}}');
      if (route === '/slow') return setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(`{"data":{"n":${seen.length}}}`), 100);
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

const send = (path: string) => new SubgraphFetcher(agent).send(`${url}${path}`, () => ({ 'content-type': 'application/json', 'x-identity-proof': 'p' }), { query: '{ me { id } }', variables: { a: 1 } });

describe('subgraph requests over undici', () => {
  it('posts the request with the headers it is given, and parses the JSON answer', async () => {
    const result = await send('/ok');
    expect(result.body).toEqual({ data: { me: { id: '1' } } });
    expect(result.response.headers.get('Cache-Control')).toBe('max-age=60');
    expect(JSON.parse(seen.at(-1)!.body)).toEqual({ query: '{ me { id } }', variables: { a: 1 } });
    expect(seen.at(-1)!.headers['x-identity-proof']).toBe('p');
  });

  it('hands a non-2xx answer back for the data source’s error path, body readable', async () => {
    const result = await send('/refused');
    expect(result.body).toBeUndefined();
    expect(result.response.ok).toBe(false);
    expect(result.response.status).toBe(401);
    expect(await result.response.json()).toEqual({ errors: [{ message: 'no proof' }] });
  });

  it('refuses a 200 that is not JSON', async () => {
    await expect(send('/html')).rejects.toThrow(/Expected JSON response body/);
  });
});

describe('identical query fetches in flight', () => {
  const shared: string[] = [];
  const fetcher = new SubgraphFetcher(agent, (subgraph) => shared.push(subgraph));
  const payload = { query: '{ n }', variables: { a: 1 } };
  const headers = () => ({ 'content-type': 'application/json', 'x-identity-proof': 'p' });
  const requestsTo = (path: string) => seen.filter((r) => r.path === path).length;

  it('are sent once for the same subgraph and identity; each caller gets its own parsed copy', async () => {
    const before = requestsTo('/slow');
    const [a, b] = await Promise.all([0, 1].map(() => fetcher.send(`${url}/slow`, headers, payload, { subgraph: 'accounts', key: 'u-1:STUDENT' })));
    expect(requestsTo('/slow') - before).toBe(1);
    expect(a!.body).toEqual(b!.body);
    expect(a!.body).not.toBe(b!.body); // the gateway edits what it merges: never one object for two requests
    expect(shared).toEqual(['accounts']);
  });

  it('are sent apart for another identity, other variables, or when not offered for sharing', async () => {
    const before = requestsTo('/slow');
    await Promise.all([
      fetcher.send(`${url}/slow`, headers, payload, { subgraph: 'accounts', key: 'u-1:STUDENT' }),
      fetcher.send(`${url}/slow`, headers, payload, { subgraph: 'accounts', key: 'u-2:STUDENT' }),
      fetcher.send(`${url}/slow`, headers, { ...payload, variables: { a: 2 } }, { subgraph: 'accounts', key: 'u-1:STUDENT' }),
      fetcher.send(`${url}/slow`, headers, payload),
    ]);
    expect(requestsTo('/slow') - before).toBe(4);
  });

  it('keep nothing once answered: the next identical fetch is sent', async () => {
    const before = requestsTo('/slow');
    const first = await fetcher.send(`${url}/slow`, headers, payload, { subgraph: 'accounts', key: 'anonymous' });
    const second = await fetcher.send(`${url}/slow`, headers, payload, { subgraph: 'accounts', key: 'anonymous' });
    expect(requestsTo('/slow') - before).toBe(2);
    expect(second.body).not.toEqual(first.body);
    expect(fetcher.sharable).toBe(0);
  });

  it('share a failure as separate errors', async () => {
    const closed = new SubgraphFetcher(agent);
    const dead = `http://127.0.0.1:1/graphql`;
    const results = await Promise.allSettled([0, 1].map(() => closed.send(dead, headers, payload, { subgraph: 'accounts', key: 'anonymous' })));
    const [a, b] = results.map((r) => (r as PromiseRejectedResult).reason as Error);
    expect(a).not.toBe(b);
    expect(String(a)).toMatch(/ECONNREFUSED|connect/);
    expect(String(b)).toMatch(/ECONNREFUSED|connect/);
  });
});
