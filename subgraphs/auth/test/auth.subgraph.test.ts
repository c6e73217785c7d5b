// The auth subgraph as it starts and serves (issue 12): the bootstrap admin and the refresh-token
// clean-up at start-up, and the registration throttle keyed by the client address the router
// forwards in its signed identity headers.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createOrm, IdentitySigner, migrate, type RunningSubgraph } from '@ai-teacher/shared';
import { createTestDatabase, createTestRedis, errorCode, gql, tempDir, type TestDatabase, type TestRedis } from '@ai-teacher/shared/testing';
import pg from 'pg';
import { ormDefinition } from '../src/database.ts';
import { PasswordHasher } from '../src/services/password.service.ts';
import { startAuthSubgraph } from '../src/subgraph.ts';

let db: TestDatabase;
let redisT: TestRedis;
let sql: pg.Client;
let auth: RunningSubgraph;
const dataDir = tempDir();
const secret = randomBytes(32).toString('hex');
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

/** A register call as the router sends it for a client at `clientIp`. */
async function registerFrom(clientIp: string) {
  const headers = await new IdentitySigner(secret).headers({ identity: null, requestId: randomUUID(), clientIp });
  return gql(auth.graphqlUrl, `mutation($i: RegisterInput!) { register(input: $i) { user { id role } } }`, { i: { email: `x.${randomUUID()}@uni.test`, password: 'a long enough passphrase', displayName: 'X' } }, { headers });
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
