// Operation limits on the public endpoint: an operation that asks for too much is refused before
// any subgraph is called (50 aliased `register` fields used to create 50 accounts), batched HTTP
// requests are refused, and CORS is closed by default in production.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { errorCode, type GraphQLResponse } from '@ai-teacher/shared/testing';
import { request } from 'node:http';
import pg from 'pg';
import { WebSocket } from 'ws';
import { collect, wsClient } from '../support/course.ts';
import { streamLargeBody } from '../support/http.ts';
import { ADMIN, LOGIN, ME, newEmail, registerUser, startStack, type Stack } from '../support/stack.ts';

let stack: Stack;
let token: string;

beforeAll(async () => {
  stack = await startStack();
  token = (await registerUser(stack)).accessToken;
});
afterAll(async () => {
  await stack?.stop();
});

function expectLimit(res: GraphQLResponse<unknown>, limit?: string) {
  expect(errorCode(res)).toBe('GRAPHQL_VALIDATION_FAILED');
  expect(res.data ?? null).toBeNull();
  if (limit) expect(res.errors!.some((e) => e.extensions?.limit === limit)).toBe(true);
}

async function usersNamed(prefix: string): Promise<number> {
  const db = new pg.Client({ connectionString: stack.env.DATABASE_URL });
  await db.connect();
  try {
    return (await db.query(`select count(*)::int as n from auth.users where email like $1`, [`${prefix}%`])).rows[0].n as number;
  } finally {
    await db.end();
  }
}

describe('operation limits', () => {
  it('refuses 50 aliased register fields and creates no account', async () => {
    const prefix = `alias-${Date.now()}-`;
    const fields = Array.from({ length: 50 }, (_, i) => `r${i}: register(input: { email: "${prefix}${i}@uni.test", password: "a long enough passphrase", displayName: "x" }) { user { id } }`);
    expectLimit(await stack.query(`mutation { ${fields.join(' ')} }`));
    expect(await usersNamed(prefix)).toBe(0);
  });

  it('allows one sign-in mutation per request, whatever the aliases', async () => {
    const prefix = `two-${Date.now()}-`;
    const two = `mutation { a: register(input: { email: "${prefix}a@uni.test", password: "a long enough passphrase", displayName: "x" }) { user { id } }
      b: login(input: { email: "${prefix}a@uni.test", password: "a long enough passphrase" }) { accessToken } }`;
    expectLimit(await stack.query(two), 'signIn');
    expect(await usersNamed(prefix)).toBe(0);
    // One is fine (control).
    expect((await stack.query(LOGIN, { input: { email: newEmail(), password: 'wrong password here' } })).errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
  });

  it('refuses deep nesting, many aliases, many root fields, repeated fields, many directives and huge documents', async () => {
    let deep = 'id';
    for (let i = 0; i < 6; i++) deep = `departments { faculty { ${deep} } }`;
    expectLimit(await stack.query(`{ faculties { ${deep} } }`, {}, token));
    expectLimit(await stack.query(`{ ${Array.from({ length: 16 }, (_, i) => `m${i}: me { id }`).join(' ')} }`, {}, token));
    expectLimit(await stack.query(`{ ${Array.from({ length: 11 }, (_, i) => `m${i}: me { id }`).join(' ')} }`, {}, token), 'rootFields');
    expectLimit(await stack.query(`{ me { id id id id } }`, {}, token), 'fieldRepeats');
    expectLimit(await stack.query(`{ me ${'@include(if: true) '.repeat(21)} { id } }`, {}, token));
    expectLimit(await stack.query(`{ me { id ${'__typename '.repeat(1_000)} } }`, {}, token));
    // Within the limits (control).
    expect((await stack.query(`{ me { id email } faculties { departments { semesters { courses { id } } } } }`, {}, token)).errors).toBeUndefined();
  });

  it('refuses batched HTTP requests (an array of operations in one body)', async () => {
    const res = await fetch(stack.routerUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify([{ query: ME }, { query: ME }]) });
    expect(res.status).toBe(400);
  });
});

describe('uploads', () => {
  /** Streams a large multipart body and stops when the router answers; how much it had to send. */
  function sendLargeUpload(authorization?: string): Promise<{ status: number; body: string; sentBytes: number }> {
    const boundary = 'x-boundary';
    const head = `--${boundary}\r\ncontent-disposition: form-data; name="operations"\r\n\r\n${JSON.stringify({ query: 'mutation($f: Upload!) { uploadBookFile(bookId: "00000000-0000-4000-8000-000000000000", file: $f) { status } }', variables: { f: null } })}\r\n--${boundary}\r\ncontent-disposition: form-data; name="map"\r\n\r\n{"0":["variables.f"]}\r\n--${boundary}\r\ncontent-disposition: form-data; name="0"; filename="big.pdf"\r\ncontent-type: application/pdf\r\n\r\n`;
    const total = 50 * 1024 * 1024;
    const headers = { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(head.length + total), 'apollo-require-preflight': 'true', ...(authorization ? { authorization } : {}) };
    return streamLargeBody(stack.routerUrl, { head, total: head.length + total, headers });
  }

  /** An upload whose body is still being sent (the router holds it in flight); `abort` ends it. */
  function openUpload(authorization: string): { answered: Promise<number>; abort(): void } {
    const url = new URL(stack.routerUrl);
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=b', 'content-length': String(10_000_000), 'apollo-require-preflight': 'true', authorization } });
    const answered = new Promise<number>((resolve) => req.on('response', (res) => resolve(res.statusCode!)));
    req.on('error', () => undefined);
    req.write(`--b\r\ncontent-disposition: form-data; name="operations"\r\n\r\n`);
    return { answered, abort: () => req.destroy() };
  }

  it('caps the uploads one user has in flight across the router, and frees the slot when one ends', async () => {
    const admin = (await stack.query(LOGIN, { input: { email: ADMIN.email, password: ADMIN.password } })).data!.login.accessToken as string;
    const auth = `Bearer ${admin}`;
    const first = openUpload(auth);
    const second = openUpload(auth);
    await new Promise((r) => setTimeout(r, 1_500)); // both have passed the gate and are being read
    const third = openUpload(auth);
    expect(await third.answered).toBe(429);
    first.abort();
    await new Promise((r) => setTimeout(r, 1_500)); // the router sees the close and frees the slot
    const fourth = openUpload(auth);
    const early = await Promise.race([fourth.answered, new Promise<string>((r) => setTimeout(() => r('still in flight'), 1_000))]);
    expect(early).toBe('still in flight');
    for (const u of [second, third, fourth]) u.abort();
  });

  it('an anonymous or student upload is refused before its body is read; the router does not take in 50 MB', async () => {
    const anonymous = await sendLargeUpload();
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(anonymous.body).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(anonymous.sentBytes).toBeLessThan(20 * 1024 * 1024);
    const student = await sendLargeUpload(`Bearer ${token}`);
    expect(student.status).toBe(403);
    expect(JSON.parse(student.body).errors[0].extensions.code).toBe('FORBIDDEN');
    expect(student.sentBytes).toBeLessThan(20 * 1024 * 1024);
  });
});

describe('WebSocket', () => {
  it('closes a socket that sends a message over the size cap (a 1 MB connection_init)', async () => {
    const socket = new WebSocket(stack.routerUrl.replace(/^http/, 'ws'), 'graphql-transport-ws');
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}`, junk: 'x'.repeat(1_000_000) } }));
    expect(await closed).toBe(1009);
  });

  it('applies the same operation limits to subscriptions', async () => {
    const client = wsClient(stack.routerUrl, token);
    try {
      const results = await collect(client, `subscription { notificationAdded { id id id id } }`, {}, (r) => r.length > 0, 5_000).catch((err: unknown) => [{ errors: err }]);
      expect(JSON.stringify(results)).toMatch(/repeated more than 3 times/);
    } finally {
      await client.dispose();
    }
  });
});

describe('CORS', () => {
  it('in development any origin may call; in production none unless CORS_ORIGINS lists it', async () => {
    const preflight = (url: string) => fetch(url, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    expect((await preflight(stack.routerUrl)).headers.get('access-control-allow-origin')).toBe('https://evil.example');
    const prod = await startStack({ routerEnv: { NODE_ENV: 'production' } });
    const listed = await startStack({ routerEnv: { NODE_ENV: 'production', CORS_ORIGINS: 'https://app.uni.test' } });
    try {
      expect((await preflight(prod.routerUrl)).headers.get('access-control-allow-origin')).toBeNull();
      expect((await preflight(listed.routerUrl)).headers.get('access-control-allow-origin')).toBeNull();
      const ok = await fetch(listed.routerUrl, { method: 'OPTIONS', headers: { origin: 'https://app.uni.test', 'access-control-request-method': 'POST' } });
      expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.uni.test');
    } finally {
      await prod.stop();
      await listed.stop();
    }
  }, 60_000);
});
