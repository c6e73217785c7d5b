// Helpers for tests that talk to the real Postgres and Redis: each test file gets its own database
// and its own Redis key prefix, so files can run in parallel and leave nothing behind.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { Queue } from 'bullmq';
import { readEnv } from '../config.ts';
import { type Identity, IdentitySigner, type ProofTarget } from '../identity.ts';

const env = readEnv();
/** A database the test user may create databases from (trust auth on the local machine). */
export const TEST_ADMIN_DATABASE_URL = env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(prefix = 'ait_test'): Promise<TestDatabase> {
  const name = uniqueName(prefix);
  const admin = new pg.Client({ connectionString: TEST_ADMIN_DATABASE_URL });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  await admin.end();
  const url = new URL(TEST_ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: TEST_ADMIN_DATABASE_URL });
      await c.connect();
      await c.query(`drop database if exists "${name}" with (force)`);
      await c.end();
    },
  };
}

export interface TestRedis {
  url: string;
  prefix: string;
  /** A plain client (no prefix) for assertions. */
  client: Redis;
  cleanup(): Promise<void>;
}

export async function createTestRedis(): Promise<TestRedis> {
  const prefix = `${uniqueName('t')}:`;
  const client = new Redis(TEST_REDIS_URL, { lazyConnect: true });
  await client.connect();
  return {
    url: TEST_REDIS_URL,
    prefix,
    client,
    async cleanup() {
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        cursor = next;
        if (keys.length) await client.del(...keys);
      } while (cursor !== '0');
      client.disconnect();
    },
  };
}

export function tempDir(prefix = 'ait-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

/** POSTs a GraphQL operation the way a web or mobile client does. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response shapes are asserted by each test
export async function gql<T = Record<string, any>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  opts: { token?: string; headers?: Record<string, string> } = {},
): Promise<GraphQLResponse<T>> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data?: T | null; errors?: GraphQLResponse['errors'] };
  return { status: res.status, headers: res.headers, ...body };
}

/** A subgraph as tests address it: its name (what proofs are bound to) and its GraphQL URL (a RunningSubgraph is one). */
export interface SubgraphTarget {
  name: string;
  graphqlUrl: string;
}

/**
 * The identity headers the router sends `subgraph` for one fetch of `query`, signed with the
 * deployment's IDENTITY_SECRET (a proof for that subgraph and that exact query text only).
 */
export function signedHeaders(secret: string, identity: Identity | null, target: ProofTarget, opts: { requestId?: string; clientIp?: string } = {}): Record<string, string> {
  return new IdentitySigner(secret).headers({ identity, requestId: opts.requestId ?? randomBytes(8).toString('hex'), clientIp: opts.clientIp ?? '127.0.0.1' }, target);
}

/** An operation sent straight to a subgraph as the router would send it (signed for it and for `query`); throws on errors. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response shapes are asserted by each test
export async function signedOp<T = Record<string, any>>(subgraph: SubgraphTarget, secret: string, identity: Identity | null, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await gql<T>(subgraph.graphqlUrl, query, variables, { headers: signedHeaders(secret, identity, { subgraph: subgraph.name, query }) });
  if (res.errors || !res.data) throw new Error(JSON.stringify(res.errors));
  return res.data;
}

/** A new STUDENT account registered through the auth subgraph, as a client registers through the router (anonymous, signed); its id. */
export async function registerStudent(auth: SubgraphTarget, secret: string, email: string, displayName = email): Promise<string> {
  const data = await signedOp(auth, secret, null, `mutation($i: RegisterInput!) { register(input: $i) { user { id } } }`, { i: { email, password: 'a long enough passphrase', displayName } });
  return data.register.user.id as string;
}

/** The data of a job once it is on the queue (e.g. an event the outbox relay moves), or an error after `timeoutMs`. */
export async function jobOnQueue(queue: Queue, jobId: string, timeoutMs = 10_000): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await queue.getJob(jobId);
    if (job) return job.data;
    if (Date.now() > deadline) throw new Error(`job ${jobId} never reached queue ${queue.name}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The code of the first error, for terse assertions. */
export function errorCode(res: GraphQLResponse<unknown>): unknown {
  return res.errors?.[0]?.extensions?.code;
}

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** A subgraph's name as it appears in setting names: upper case, dashes as underscores. */
export const settingName = (subgraph: string) => subgraph.toUpperCase().replace(/-/g, '_');

/**
 * Where each subgraph listens, as the settings every process reads: `<NAME>_INTERNAL_URL` (a
 * subgraph's internal API, for the services calling it), `SUBGRAPH_URL_<NAME>` (for the router) and
 * `AUTH_JWKS_URL`.
 */
export function subgraphAddresses(ports: Record<string, number>, host = '127.0.0.1'): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, port] of Object.entries(ports)) {
    env[`${settingName(name)}_INTERNAL_URL`] = `http://${host}:${port}`;
    env[`SUBGRAPH_URL_${settingName(name)}`] = `http://${host}:${port}/graphql`;
  }
  if (ports.auth) env.AUTH_JWKS_URL = `http://${host}:${ports.auth}/.well-known/jwks.json`;
  return env;
}
export * from './in-process.ts';
export * from './tracing.ts';
