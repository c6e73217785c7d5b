// Persisted operations through the router: automatic persisted queries registered on one replica
// are found by hash on another (they live in Redis, not in a process), and with a manifest in
// safelist mode only the clients' listed operations run — over HTTP and over WebSocket.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startRouter, type RunningRouter } from '@ai-teacher/router';
import { errorCode, tempDir, type GraphQLResponse } from '@ai-teacher/shared/testing';
import { collect, wsClient } from '../support/course.ts';
import { ME, registerUser, startStack, type Stack } from '../support/stack.ts';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

let stack: Stack;
let token: string;
const dir = tempDir('ait-pq-');
const routers: RunningRouter[] = [];

/** A POST to /graphql as a client sends it, with any `extensions`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response shapes are asserted by each test
async function post(url: string, body: Record<string, unknown>, auth = token): Promise<GraphQLResponse<any>> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${auth}` }, body: JSON.stringify(body) });
  return { ...((await res.json()) as object), status: res.status, headers: res.headers };
}

const persisted = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

async function router(env: Record<string, string>): Promise<RunningRouter> {
  const r = await startRouter({ ...stack.env, ...env });
  routers.push(r);
  return r;
}

beforeAll(async () => {
  stack = await startStack();
  token = (await registerUser(stack)).accessToken;
}, 120_000);
afterAll(async () => {
  for (const r of routers) await r.stop();
  await stack?.stop();
  dir.remove();
});

describe('automatic persisted queries (APQ) in Redis', () => {
  it('an operation registered on one router runs by hash alone on another started against the same Redis', async () => {
    const query = `query MeForApq { me { id email role } }`;
    const hash = sha256(query);
    const first = await post(stack.routerUrl, { query, extensions: persisted(hash) });
    expect(first.errors).toBeUndefined();
    const second = await router({});
    const byHash = await post(second.graphqlUrl, { extensions: persisted(hash) });
    expect(byHash.errors).toBeUndefined();
    expect(byHash.data).toEqual(first.data);
  });

  it('an unknown hash is PERSISTED_QUERY_NOT_FOUND (the client then sends the text)', async () => {
    const res = await post(stack.routerUrl, { extensions: persisted(sha256(`query Never { me { id } }`)) });
    expect(errorCode(res)).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(res.data ?? null).toBeNull();
  });

  it('a hash that is not the text’s SHA-256 is refused with a coded error and registers nothing', async () => {
    const query = `query Mismatch { me { id } }`;
    const wrong = sha256('something else');
    const res = await post(stack.routerUrl, { query, extensions: persisted(wrong) });
    expect(res.status).toBe(400);
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(res.errors![0]!.message).toMatch(/does not match/);
    expect(res.data ?? null).toBeNull();
    expect(errorCode(await post(stack.routerUrl, { extensions: persisted(wrong) }))).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('stores at most APQ_CACHE_MAX_MB across routers: past it operations still run but are not stored', async () => {
    // 600 bytes for this test's routers (their own TTL gives them their own budget counter).
    const env = { APQ_CACHE_MAX_MB: String(600 / 1024 / 1024), APQ_TTL_SECONDS: '777' };
    const [a, b] = [await router(env), await router(env)];
    const small = `query SmallEnough { me { id } }`;
    expect((await post(a.graphqlUrl, { query: small, extensions: persisted(sha256(small)) })).errors).toBeUndefined();
    const big = `query Big${'x'.repeat(600)} { me { id } }`;
    const ran = await post(b.graphqlUrl, { query: big, extensions: persisted(sha256(big)) });
    expect(ran.errors).toBeUndefined();
    expect(ran.data!.me.id).toBeDefined();
    expect(errorCode(await post(a.graphqlUrl, { extensions: persisted(sha256(big)) }))).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await post(b.graphqlUrl, { extensions: persisted(sha256(small)) })).errors).toBeUndefined();
  });

  it('entries expire after APQ_TTL_SECONDS', async () => {
    const short = await router({ APQ_TTL_SECONDS: '1' });
    const query = `query ShortLived { me { id } }`;
    expect((await post(short.graphqlUrl, { query, extensions: persisted(sha256(query)) })).errors).toBeUndefined();
    expect((await post(short.graphqlUrl, { extensions: persisted(sha256(query)) })).errors).toBeUndefined();
    await new Promise((r) => setTimeout(r, 2_200));
    expect(errorCode(await post(short.graphqlUrl, { extensions: persisted(sha256(query)) }))).toBe('PERSISTED_QUERY_NOT_FOUND');
  });
});

describe('persisted operation manifest', () => {
  const LISTED_QUERY = `query ListedMe {\n  me {\n    id\n    email\n  }\n}`;
  const LISTED_SUBSCRIPTION = `subscription ListedNotifications {\n  notificationAdded {\n    id\n    title\n  }\n}`;
  // Apollo's manifest: ids are SHA-256 of the body by default, but any id works.
  const manifest = {
    format: 'apollo-persisted-query-manifest',
    version: 1,
    operations: [
      { id: sha256(LISTED_QUERY), name: 'ListedMe', type: 'query', body: LISTED_QUERY },
      { id: 'notifications-v1', name: 'ListedNotifications', type: 'subscription', body: LISTED_SUBSCRIPTION },
    ],
  };
  let manifestPath: string;
  let safelist: RunningRouter;

  beforeAll(async () => {
    manifestPath = join(dir.path, 'persisted-query-manifest.json');
    writeFileSync(manifestPath, JSON.stringify(manifest));
    safelist = await router({ PERSISTED_OPERATIONS_PATH: manifestPath, PERSISTED_OPERATIONS_MODE: 'safelist' });
  });

  it('safelist: a listed operation runs by id alone, and by its body (whitespace aside)', async () => {
    const byId = await post(safelist.graphqlUrl, { extensions: persisted(sha256(LISTED_QUERY)) });
    expect(byId.errors).toBeUndefined();
    expect(byId.data!.me).toEqual({ id: expect.any(String), email: expect.any(String) });
    const byBody = await post(safelist.graphqlUrl, { query: LISTED_QUERY });
    expect(byBody.errors).toBeUndefined();
    expect(byBody.data).toEqual(byId.data);
    const reformatted = await post(safelist.graphqlUrl, { query: 'query ListedMe { me { id, email } }' });
    expect(reformatted.data).toEqual(byId.data);
    // By id over GET too (queries only).
    const get = await fetch(`${safelist.graphqlUrl}?extensions=${encodeURIComponent(JSON.stringify(persisted(sha256(LISTED_QUERY))))}`, { headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' } });
    expect(((await get.json()) as GraphQLResponse).data).toEqual(byId.data);
  });

  it('safelist: any other operation, an unknown id or introspection is refused with PERSISTED_QUERY_NOT_IN_LIST', async () => {
    for (const body of [{ query: ME }, { query: 'query ListedMe { me { id email role } }' }, { extensions: persisted(sha256(ME)) }, { query: '{ __schema { types { name } } }' }]) {
      const res = await post(safelist.graphqlUrl, body);
      expect(res.status).toBe(400);
      expect(errorCode(res)).toBe('PERSISTED_QUERY_NOT_IN_LIST');
      expect(res.data ?? null).toBeNull();
    }
    // A listed id with another operation's text is not a way around the list.
    const smuggled = await post(safelist.graphqlUrl, { query: ME, extensions: persisted(sha256(LISTED_QUERY)) });
    expect(errorCode(smuggled)).toBe('BAD_USER_INPUT');
    expect(smuggled.data ?? null).toBeNull();
  });

  it('safelist: a WebSocket subscription not in the list is refused; a listed one is accepted', async () => {
    const client = wsClient(safelist.graphqlUrl, token);
    try {
      const refused = await collect(client, `subscription { notificationAdded { id } }`, {}, (r) => r.length > 0, 5_000).catch((err: unknown) => [{ errors: err }]);
      expect(JSON.stringify(refused)).toContain('PERSISTED_QUERY_NOT_IN_LIST');
      // The listed one is accepted: it stays open (no error) until the client ends it.
      const listed = await collect(client, LISTED_SUBSCRIPTION, {}, (r) => r.length > 0, 1_500).catch((err: unknown) => [{ errors: err }]);
      expect(listed).toEqual([]);
    } finally {
      await client.dispose();
    }
  });

  it('allow: listed operations may be sent by id, and anything else still runs', async () => {
    const allow = await router({ PERSISTED_OPERATIONS_PATH: manifestPath, PERSISTED_OPERATIONS_MODE: 'allow' });
    const byId = await post(allow.graphqlUrl, { extensions: persisted(sha256(LISTED_QUERY)) });
    expect(byId.data!.me.id).toEqual(expect.any(String));
    expect((await post(allow.graphqlUrl, { query: ME })).data!.me.role).toBe('STUDENT');
  });

  it('without a mode: off with no manifest; with one, nothing is refused outside production and only listed operations run in production', async () => {
    const dev = await router({ PERSISTED_OPERATIONS_PATH: manifestPath });
    expect((await post(dev.graphqlUrl, { query: ME })).errors).toBeUndefined();
    expect((await post(dev.graphqlUrl, { extensions: persisted(sha256(LISTED_QUERY)) })).errors).toBeUndefined();
    const production = await router({ NODE_ENV: 'production', PERSISTED_OPERATIONS_PATH: manifestPath });
    expect(errorCode(await post(production.graphqlUrl, { query: ME }))).toBe('PERSISTED_QUERY_NOT_IN_LIST');
    expect((await post(production.graphqlUrl, { query: LISTED_QUERY })).errors).toBeUndefined();
    await expect(router({ PERSISTED_OPERATIONS_MODE: 'safelist' })).rejects.toThrow(/PERSISTED_OPERATIONS_PATH/);
  });
});
