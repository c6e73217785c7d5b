// Demand control and rate limits on the public endpoint: an operation's estimated cost (Apollo's
// @cost/@listSize rules) is checked before any subgraph is called, charged to the caller's budget
// in Redis (shared by router replicas), and recorded on the router's metrics with the actual cost.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { errorCode, gql } from '@ai-teacher/shared/testing';
import { type RunningRouter, startRouter } from '@ai-teacher/router';
import { expectError } from '../support/assertions.ts';
import { collect, wsClient } from '../support/course.ts';
import { ADMIN, LOGIN, login, newEmail, registerUser, startStack, type Stack } from '../support/stack.ts';

let stack: Stack;
let adminToken: string;
const routers: RunningRouter[] = [];

/** Another router replica over the same subgraphs and Redis, with its own settings. */
async function replica(env: Record<string, string>): Promise<RunningRouter> {
  const r = await startRouter({ ...stack.env, ...env });
  routers.push(r);
  return r;
}

beforeAll(async () => {
  stack = await startStack({ routerEnv: { COST_MAX: '500' } });
  adminToken = (await login(stack, ADMIN.email, ADMIN.password)).data!.login.accessToken;
});
afterAll(async () => {
  for (const r of routers) await r.stop();
  await stack?.stop();
});

/** The value of one Prometheus sample (0 when absent); labels must all match. */
async function metric(router: RunningRouter, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(router.metricsUrl)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

// 10 faculties × (1 + 10 departments × (1 + 10 semesters)) = 1110 under the schema's @listSize.
const TREE = 'query Tree { faculties { id departments { id semesters { id } } } }';

describe('cost limit', () => {
  it('refuses an operation whose estimate is over the maximum, with the estimate, before execution', async () => {
    const before = await metric(stack.router, 'graphql_operations_rejected_total', { reason: 'cost' });
    const res = await stack.query(TREE, {}, adminToken);
    expectError(res, 'COST_LIMIT_EXCEEDED');
    expect(res.status).toBe(400);
    expect(res.data ?? null).toBeNull();
    expect(res.errors![0]!.extensions!.cost).toEqual({ estimated: 1110, max: 500 });
    expect(await metric(stack.router, 'graphql_operations_rejected_total', { reason: 'cost' })).toBe(before + 1);
  });

  it('costs variables and slicing arguments: a page of 300 students is refused, a page of 20 is not', async () => {
    const q = 'query Students($id: ID!, $n: Int) { course(id: $id) { studentsConnection(first: $n) { edges { node { id } } } } }';
    const big = await stack.query(q, { id: '00000000-0000-0000-0000-000000000000', n: 300 }, adminToken);
    expectError(big, 'COST_LIMIT_EXCEEDED');
    expect((big.errors![0]!.extensions!.cost as { estimated: number }).estimated).toBe(1 + 1 + 300 * 2);
    // Executed (and answered by the subgraph: there is no such course), not refused.
    const small = await stack.query(q, { id: '00000000-0000-0000-0000-000000000000', n: 20 }, adminToken);
    expectError(small, 'NOT_FOUND');
  });

  it('records estimated and actual cost by operation and client, and their difference', async () => {
    const labels = { operation: 'Faculties', client_name: 'web', client_version: '1.4.0' };
    const before = await metric(stack.router, 'graphql_cost_estimated_count', { ...labels, result: 'ok' });
    const sumBefore = await metric(stack.router, 'graphql_cost_actual_sum', labels);
    await ok(await gql(stack.routerUrl, 'mutation { createFaculty(name: "Cost F") { id } }', {}, { token: adminToken }));
    const res = await gql(stack.routerUrl, 'query Faculties { faculties { id departments { id } } }', {}, { token: adminToken, headers: { 'apollographql-client-name': 'web', 'apollographql-client-version': '1.4.0' } });
    const faculties = (await ok(res)).faculties as unknown[];
    expect(await metric(stack.router, 'graphql_cost_estimated_count', { ...labels, result: 'ok' })).toBe(before + 1);
    expect(await metric(stack.router, 'graphql_cost_estimated_sum', { ...labels, result: 'ok' })).toBeGreaterThanOrEqual(10 * (1 + 10));
    // Each faculty costs 1 and has no departments yet: the actual cost is the number of faculties.
    expect(await metric(stack.router, 'graphql_cost_actual_sum', labels)).toBe(sumBefore + faculties.length);
    expect(await metric(stack.router, 'graphql_cost_delta_count', labels)).toBeGreaterThanOrEqual(1);
  });

  it('in measure mode only records: the same operation runs', async () => {
    const measuring = await replica({ COST_MODE: 'measure', COST_MAX: '500' });
    const res = await gql(measuring.graphqlUrl, TREE, {}, { token: adminToken });
    expect(res.errors ?? []).toEqual([]);
    expect(Array.isArray(res.data?.faculties)).toBe(true);
    expect(await metric(measuring, 'graphql_cost_estimated_sum', { operation: 'Tree', result: 'ok' })).toBe(1110);
    expect(await metric(measuring, 'graphql_operations_rejected_total', { reason: 'cost' })).toBe(0);
  });

  it('costs a subscription when it starts', async () => {
    const strict = await replica({ COST_MAX: '5' });
    const student = await registerUser(stack);
    const client = wsClient(strict.graphqlUrl, student.accessToken);
    try {
      const results = await collect(client, 'subscription { tutorAnswer(messageId: "00000000-0000-0000-0000-000000000000") { seq message { id answer { citations { book { id } } } } } }', {}, (r) => r.length > 0, 10_000);
      expect(errorCode(results[0]!)).toBe('COST_LIMIT_EXCEEDED');
    } finally {
      await client.dispose();
    }
  });
});

describe('rate limits', () => {
  it('charges each user the estimated cost, shared by replicas, with RateLimit headers and then RATE_LIMITED', async () => {
    const env = { RATE_LIMIT_USER_COST: '100', RATE_LIMIT_WINDOW_SECONDS: '60' };
    const [a, b] = [await replica(env), await replica(env)];
    const user = await registerUser(stack);
    const me = await gql(a.graphqlUrl, '{ me { id } }', {}, { token: user.accessToken });
    expect(me.errors ?? []).toEqual([]);
    expect(me.headers!.get('ratelimit-policy')).toBe('100;w=60');
    expect(me.headers!.get('ratelimit')).toMatch(/^limit=100, remaining=99, reset=\d+$/);
    // myCourses assumes 20 courses of cost 1: 20 per call, spent here on the other replica.
    const courses = 'query { myCourses { id } }';
    const spent = await gql(b.graphqlUrl, courses, {}, { token: user.accessToken });
    expect(spent.headers!.get('ratelimit')).toMatch(/^limit=100, remaining=79,/);
    for (let i = 0; i < 3; i++) await gql(a.graphqlUrl, courses, {}, { token: user.accessToken });
    const refused = await gql(b.graphqlUrl, courses, {}, { token: user.accessToken });
    expectError(refused, 'RATE_LIMITED');
    expect(refused.status).toBe(429);
    expect(refused.errors![0]!.extensions!.retryAfter).toBeGreaterThan(0);
    expect(Number(refused.headers!.get('retry-after'))).toBeGreaterThan(0);
    // Another user has a budget of their own.
    const other = await registerUser(stack);
    expect((await gql(b.graphqlUrl, courses, {}, { token: other.accessToken })).errors ?? []).toEqual([]);
  });

  // Clients behind the edge proxy (trusted on loopback): X-Forwarded-For is their address.
  const from = (ip: string) => ({ 'x-forwarded-for': ip });

  it('limits register, login and refreshToken per address, failed attempts included', async () => {
    const strict = await replica({ RATE_LIMIT_SIGN_IN: '3' });
    for (let i = 0; i < 3; i++) {
      const res = await gql(strict.graphqlUrl, LOGIN, { input: { email: newEmail(), password: 'not the password at all' } }, { headers: from('198.51.100.7') });
      expectError(res, 'UNAUTHENTICATED');
    }
    const res = await gql(strict.graphqlUrl, LOGIN, { input: { email: ADMIN.email, password: ADMIN.password } }, { headers: from('198.51.100.7') });
    expectError(res, 'RATE_LIMITED');
    expect(res.status).toBe(429);
    // Another address may still sign in; other operations from the limited address are not affected.
    expect((await gql(strict.graphqlUrl, LOGIN, { input: { email: ADMIN.email, password: ADMIN.password } }, { headers: from('198.51.100.8') })).errors ?? []).toEqual([]);
    expect((await gql(strict.graphqlUrl, '{ me { id } }', {}, { token: adminToken, headers: from('198.51.100.7') })).errors ?? []).toEqual([]);
  });

  it('gives anonymous callers a budget per address', async () => {
    const strict = await replica({ RATE_LIMIT_ANONYMOUS_COST: '2' });
    expect((await gql(strict.graphqlUrl, '{ me { id } }', {}, { headers: from('203.0.113.9') })).errors ?? []).toEqual([]);
    expect((await gql(strict.graphqlUrl, '{ me { id } }', {}, { headers: from('203.0.113.9') })).errors ?? []).toEqual([]);
    expectError(await gql(strict.graphqlUrl, '{ me { id } }', {}, { headers: from('203.0.113.9') }), 'RATE_LIMITED');
    expect((await gql(strict.graphqlUrl, '{ me { id } }', {}, { headers: from('203.0.113.10') })).errors ?? []).toEqual([]);
  });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response shapes are asserted by each test
async function ok(res: { data?: Record<string, any> | null; errors?: unknown[] }): Promise<Record<string, any>> {
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data!;
}
