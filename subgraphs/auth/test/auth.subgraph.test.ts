// The auth subgraph as it starts and serves (issue 12): the bootstrap admin and the refresh-token
// clean-up at start-up, the registration throttle keyed by the client address the router
// forwards in its signed identity headers, and its answering nobody but the router (proofs bound
// to this subgraph and to the operation; service tokens and identity proofs on separate keys).
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createOrm, InternalCallError, InternalClient, migrate, type RunningSubgraph } from '@ai-teacher/shared';
import { createTestDatabase, createTestRedis, errorCode, gql, signedHeaders, tempDir, type TestDatabase, type TestRedis } from '@ai-teacher/shared/testing';
import pg from 'pg';
import { usersLookupRoute } from '../src/contracts.ts';
import { ormDefinition } from '../src/database.ts';
import { PasswordHasher } from '../src/services/password.service.ts';
import { startAuthSubgraph } from '../src/subgraph.ts';

let db: TestDatabase;
let redisT: TestRedis;
let sql: pg.Client;
let auth: RunningSubgraph;
const dataDir = tempDir();
const secret = randomBytes(32).toString('hex');
const serviceSecret = randomBytes(32).toString('hex');
const squatterId = randomUUID();
const rows = { live: randomUUID(), expired: randomUUID(), revoked: randomUUID() };

beforeAll(async () => {
  db = await createTestDatabase();
  redisT = await createTestRedis();
  const orm = await createOrm(ormDefinition, { DATABASE_URL: db.url, DB_POOL_MAX: 2, DB_DEBUG: false });
  await migrate(orm, 'auth', db.url);
  await orm.close();
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  // Before the first start: somebody registered the admin's address, and there are refresh tokens
  // that can no longer be used next to a live one.
  const hash = await new PasswordHasher(19_456, 2).hash('i got here first');
  await sql.query(`insert into auth.users (id, email, password_hash, role, display_name, created_at, updated_at) values ($1, 'registrar@uni.test', $2, 'STUDENT', 'Squatter', now(), now())`, [squatterId, hash]);
  for (const [id, expires, revoked] of [[rows.live, `now() + interval '1 day'`, 'null'], [rows.expired, `now() - interval '1 second'`, 'null'], [rows.revoked, `now() + interval '1 day'`, 'now()']] as const) {
    await sql.query(
      `insert into auth.refresh_tokens (id, family_id, family_started_at, user_id, token_hash, expires_at, created_at, revoked_at) values ($1, $2, now(), $3, $4, ${expires}, now(), ${revoked})`,
      [id, randomUUID(), squatterId, randomBytes(32).toString('hex')],
    );
  }
  auth = await startAuthSubgraph({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dataDir.path,
    DATABASE_URL: db.url,
    REDIS_URL: redisT.url,
    REDIS_KEY_PREFIX: redisT.prefix,
    IDENTITY_SECRET: secret,
    SERVICE_SECRET: serviceSecret,
    ADMIN_EMAIL: 'Registrar@uni.test',
    ADMIN_PASSWORD: 'the real admin secret',
    REGISTER_MAX_PER_IP: '2',
  });
});

afterAll(async () => {
  await auth?.stop();
  await sql?.end();
  await db?.drop();
  await redisT?.cleanup();
  dataDir.remove();
});

const REGISTER = `mutation($i: RegisterInput!) { register(input: $i) { user { id role } } }`;

/** A register call as the router sends it for a client at `clientIp`. */
async function registerFrom(clientIp: string) {
  const headers = signedHeaders(secret, null, { subgraph: 'auth', query: REGISTER }, { clientIp });
  return gql(auth.graphqlUrl, REGISTER, { i: { email: `x.${randomUUID()}@uni.test`, password: 'a long enough passphrase', displayName: 'X' } }, { headers });
}

describe('start-up', () => {
  it('does not promote an account registered with ADMIN_EMAIL before it, nor touch its password, and starts', async () => {
    const { rows: users } = await sql.query(`select id, role, password_hash from auth.users where email = 'registrar@uni.test'`);
    expect(users).toHaveLength(1);
    expect(users[0].id).toBe(squatterId);
    expect(users[0].role).toBe('STUDENT');
    expect(await new PasswordHasher(19_456, 2).verify(users[0].password_hash, 'i got here first')).toBe(true);
    expect((await fetch(`${auth.url}/health`)).ok).toBe(true);
  });

  it('deletes refresh tokens that can no longer be used, and only those', async () => {
    const deadline = Date.now() + 5_000;
    let left: string[] = [];
    do {
      left = (await sql.query('select id from auth.refresh_tokens where id = any($1)', [Object.values(rows)])).rows.map((r) => r.id as string);
      if (left.length === 1) break;
      await new Promise((r) => setTimeout(r, 100));
    } while (Date.now() < deadline);
    expect(left).toEqual([rows.live]);
  });
});

describe('registration throttle', () => {
  it('counts per client address as forwarded by the router: the third from one address is RATE_LIMITED, another address is not', async () => {
    expect((await registerFrom('203.0.113.20')).data?.register.user.role).toBe('STUDENT');
    expect((await registerFrom('203.0.113.20')).data?.register.user.role).toBe('STUDENT');
    const limited = await registerFrom('203.0.113.20');
    expect(errorCode(limited)).toBe('RATE_LIMITED');
    expect(limited.errors![0]!.extensions!.retryAfter).toBeGreaterThan(0);
    expect((await registerFrom('203.0.113.21')).data?.register.user.role).toBe('STUDENT');
  });
});

describe('only the router gets an answer', () => {
  const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id email } } }`;
  const ME = `{ me { id } }`;
  const user = () => ({ r: [{ __typename: 'User', id: squatterId }] });
  const expectRefused = (res: { status: number; data?: unknown; errors?: { message: string }[] }, reason: RegExp) => {
    expect(res.status).toBe(401);
    expect(errorCode(res as Parameters<typeof errorCode>[0])).toBe('UNAUTHENTICATED');
    expect(res.errors![0]!.message).toMatch(/^Subgraphs answer only the router: /);
    expect(res.errors![0]!.message).toMatch(reason);
    expect(res.data).toBeUndefined();
    expect(JSON.stringify(res)).not.toContain('registrar@uni.test');
  };

  it('refuses an _entities call for a User without a proof: 401, no email', async () => {
    expectRefused(await gql(auth.graphqlUrl, ENTITIES, user()), /missing identity proof/);
  });

  it('refuses every proof-less call, anonymous ones included, over POST and GET', async () => {
    expectRefused(await gql(auth.graphqlUrl, ME), /missing identity proof/);
    const get = await fetch(`${auth.graphqlUrl}?query=${encodeURIComponent(ME)}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(get.status).toBe(401);
  });

  it('answers the same calls with the router’s proof, anonymous too (control)', async () => {
    const anonymous = await gql(auth.graphqlUrl, ME, {}, { headers: signedHeaders(secret, null, { subgraph: 'auth', query: ME }) });
    expect(anonymous.status).toBe(200);
    expect(anonymous.data).toEqual({ me: null });
    const entities = await gql(auth.graphqlUrl, ENTITIES, user(), { headers: signedHeaders(secret, null, { subgraph: 'auth', query: ENTITIES }) });
    expect(entities.data).toEqual({ _entities: [{ id: squatterId, email: 'registrar@uni.test' }] });
  });

  it('refuses a proof minted for another subgraph (academic)', async () => {
    const forAcademic = signedHeaders(secret, { userId: squatterId, role: 'ADMIN' }, { subgraph: 'academic', query: ENTITIES });
    expectRefused(await gql(auth.graphqlUrl, ENTITIES, user(), { headers: forAcademic }), /does not match this subgraph/);
  });

  it('refuses a proof for one operation replayed with another', async () => {
    const forMe = signedHeaders(secret, null, { subgraph: 'auth', query: ME });
    expect((await gql(auth.graphqlUrl, ME, {}, { headers: forMe })).status).toBe(200);
    expectRefused(await gql(auth.graphqlUrl, ENTITIES, user(), { headers: forMe }), /signed for another operation/);
    // The same in a body whose query is missing, or a batch (no one query to match).
    const noQuery = await fetch(auth.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...forMe }, body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: 'x' } } }) });
    expect(noQuery.status).toBe(401);
    const batch = await fetch(auth.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...forMe }, body: JSON.stringify([{ query: ME }]) });
    expect(batch.status).toBe(401);
  });

  it('refuses an identity proof signed with the service secret', async () => {
    const withServiceKey = signedHeaders(serviceSecret, null, { subgraph: 'auth', query: ENTITIES });
    expectRefused(await gql(auth.graphqlUrl, ENTITIES, user(), { headers: withServiceKey }), /does not match/);
  });

  it('refuses on internal routes a service token signed with the identity secret; the service secret works', async () => {
    const forged = new InternalClient({ secret, service: 'academic', baseUrl: auth.url });
    const refused = await forged.call(usersLookupRoute, { ids: [squatterId] }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(InternalCallError);
    expect(refused).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    const genuine = new InternalClient({ secret: serviceSecret, service: 'academic', baseUrl: auth.url });
    expect((await genuine.call(usersLookupRoute, { ids: [squatterId] })).users.map((u) => u.email)).toEqual(['registrar@uni.test']);
  });

  it('leaves health, readiness and metrics open', async () => {
    for (const path of ['/health', '/ready', '/metrics']) expect((await fetch(`${auth.url}${path}`)).status).toBe(200);
  });
});
