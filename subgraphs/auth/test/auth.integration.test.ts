// AuthService against the real Postgres and Redis: what is stored, and what survives races.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger, createOrm, createRedis, loadConfig, migrate, type MikroORM, type Redis, TokenRevocation, withPrimaryReads } from '@ai-teacher/shared';
import { createTestDatabase, createTestRedis, tempDir, type TestDatabase, type TestRedis } from '@ai-teacher/shared/testing';
import pg from 'pg';
import { authConfigSchema } from '../src/config.ts';
import { ormDefinition } from '../src/database.ts';
import { RefreshTokenRepository } from '../src/repositories/refresh-token.repository.ts';
import { UserRepository } from '../src/repositories/user.repository.ts';
import { AuthService } from '../src/services/auth.service.ts';
import { LoginThrottle } from '../src/services/login-throttle.service.ts';
import { PasswordHasher } from '../src/services/password.service.ts';
import { RegistrationThrottle } from '../src/services/registration-throttle.service.ts';
import { TokenService } from '../src/services/token.service.ts';
import { newIp } from './harness.ts';

let db: TestDatabase;
let redisT: TestRedis;
let orm: MikroORM;
let redis: Redis;
let sql: pg.Client;
let tokens: TokenService;
const dataDir = tempDir();
const config = loadConfig(authConfigSchema, { REFRESH_TOKEN_TTL: '3600' });
const logger = createLogger('auth-test', 'silent');
const hasher = new PasswordHasher(19_456, 2);

function service(): AuthService {
  const em = orm.em.fork();
  return new AuthService({
    users: new UserRepository(em),
    refreshTokens: new RefreshTokenRepository(em),
    hasher,
    tokens,
    throttle: new LoginThrottle(redis, config),
    registrations: new RegistrationThrottle(redis, config),
    revocation: new TokenRevocation(redis, config.ACCESS_TOKEN_TTL),
    config,
    logger,
  });
}

beforeAll(async () => {
  db = await createTestDatabase();
  redisT = await createTestRedis();
  const dbConfig = { DATABASE_URL: db.url, DB_POOL_MAX: 5, DB_DEBUG: false };
  orm = await createOrm(ormDefinition, dbConfig);
  // Two replicas starting at once: the advisory lock makes them take turns.
  const other = await createOrm(ormDefinition, dbConfig);
  const [a, b] = await Promise.all([migrate(orm, 'auth', db.url), migrate(other, 'auth', db.url)]);
  expect([...a, ...b]).toEqual(['Migration20261127000000_init', 'Migration20261210000000_sessions']);
  await other.close();
  redis = createRedis({ REDIS_URL: redisT.url, REDIS_KEY_PREFIX: redisT.prefix });
  tokens = await TokenService.create(config, { NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_DIR: dataDir.path });
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
});

afterAll(async () => {
  await sql.end();
  await orm.close();
  redis.disconnect();
  await db.drop();
  await redisT.cleanup();
  dataDir.remove();
});

describe('storage', () => {
  it('keeps tables in the auth schema only', async () => {
    const { rows } = await sql.query(`select table_schema, table_name from information_schema.tables where table_schema not in ('pg_catalog', 'information_schema') order by 2`);
    expect(rows).toEqual([
      { table_schema: 'auth', table_name: 'mikro_orm_migrations' },
      { table_schema: 'auth', table_name: 'refresh_tokens' },
      { table_schema: 'auth', table_name: 'users' },
    ]);
  });

  it('stores an argon2id hash, never the password, and only a hash of refresh tokens', async () => {
    const result = await service().register({ email: 'keeper@uni.test', password: 'stored safely please', displayName: 'S' }, newIp());
    const { rows: users } = await sql.query('select password_hash from auth.users where id = $1', [result.user.id]);
    expect(users[0].password_hash).toMatch(/^\$argon2id\$/);
    expect(users[0].password_hash).not.toContain('stored safely please');
    const { rows: tokensRows } = await sql.query('select token_hash from auth.refresh_tokens where user_id = $1', [result.user.id]);
    expect(tokensRows).toHaveLength(1);
    expect(tokensRows[0].token_hash).not.toBe(result.refreshToken);
    expect(tokensRows[0].token_hash).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('upgrade', () => {
  it('existing sign-ins start when their first token was issued; existing users are at token version 0', async () => {
    const old = await createTestDatabase();
    try {
      const c = new pg.Client({ connectionString: old.url });
      await c.connect();
      await c.query('create schema auth');
      const oldOrm = await createOrm(ormDefinition, { DATABASE_URL: old.url, DB_POOL_MAX: 2, DB_DEBUG: false });
      await oldOrm.migrator.up({ to: 'Migration20261127000000_init' });
      const user = '22222222-2222-4222-8222-222222222222';
      await c.query(`insert into auth.users values ($1, 'before@uni.test', 'x', 'TEACHER', 'B', now(), now())`, [user]);
      const families = ['33333333-3333-4333-8333-333333333333', '44444444-4444-4444-8444-444444444444'];
      for (const [i, family, age] of [[1, 0, '40 days'], [2, 0, '20 days'], [3, 1, '3 days'], [4, 0, '1 day'], [5, 1, '1 hour']] as const) {
        await c.query(`insert into auth.refresh_tokens (id, family_id, user_id, token_hash, expires_at, created_at) values (gen_random_uuid(), $1, $2, $3, now(), now() - $4::interval)`, [families[family], user, String(i).repeat(64), age]);
      }
      await oldOrm.migrator.up();
      await oldOrm.close();
      const { rows } = await c.query(`
        select family_id, count(*)::int as n, bool_and(family_started_at = (select min(created_at) from auth.refresh_tokens f where f.family_id = t.family_id)) as first
        from auth.refresh_tokens t group by family_id order by family_id`);
      expect(rows).toEqual([{ family_id: families[0], n: 3, first: true }, { family_id: families[1], n: 2, first: true }]);
      expect((await c.query('select token_version from auth.users')).rows).toEqual([{ token_version: 0 }]);
      await c.end();
    } finally {
      await old.drop();
    }
  });
});

describe('refresh', () => {
  it('refuses an expired refresh token', async () => {
    const result = await service().register({ email: 'old.timer@uni.test', password: 'soon to expire ok', displayName: 'E' }, newIp());
    await sql.query(`update auth.refresh_tokens set expires_at = now() - interval '1 second' where user_id = $1`, [result.user.id]);
    await expect(service().refresh(result.refreshToken)).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
  });

  it('reuse revokes the family in the database, and the revocation survives the error', async () => {
    const s = service();
    const first = await s.register({ email: 'kin@uni.test', password: 'family values here', displayName: 'F' }, newIp());
    await service().refresh(first.refreshToken);
    await expect(service().refresh(first.refreshToken)).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    const { rows } = await sql.query('select revoked_reason, used_at is not null as used from auth.refresh_tokens where user_id = $1 order by created_at', [first.user.id]);
    expect(rows).toEqual([
      { revoked_reason: 'reuse', used: true },
      { revoked_reason: 'reuse', used: false },
    ]);
  });
});

describe('read replica', () => {
  it('sends reads to READ_DATABASE_URL and writes to the primary', async () => {
    const replica = await createTestDatabase();
    try {
      const replicaOrm = await createOrm(ormDefinition, { DATABASE_URL: replica.url, DB_POOL_MAX: 2, DB_DEBUG: false });
      await migrate(replicaOrm, 'auth', replica.url);
      await replicaOrm.close();
      const c = new pg.Client({ connectionString: replica.url });
      await c.connect();
      await c.query(`insert into auth.users values ('11111111-1111-4111-8111-111111111111', 'only.on.replica@uni.test', 'x', 'STUDENT', 'R', now(), now())`);
      await c.end();

      const split = await createOrm(ormDefinition, { DATABASE_URL: db.url, READ_DATABASE_URL: replica.url, DB_POOL_MAX: 2, DB_DEBUG: false });
      try {
        const users = new UserRepository(split.em.fork());
        expect((await users.findById('11111111-1111-4111-8111-111111111111'))?.email).toBe('only.on.replica@uni.test');
        // Read-your-writes (shared/src/read-your-writes.ts): inside withPrimaryReads the same read goes to the primary.
        expect(await withPrimaryReads(() => new UserRepository(split.em.fork()).findById('11111111-1111-4111-8111-111111111111'))).toBeNull();
        await users.create({ email: 'written.to.primary@uni.test', passwordHash: 'x', role: 'STUDENT', displayName: 'W' });
        const { rows } = await sql.query(`select count(*)::int as n from auth.users where email = 'written.to.primary@uni.test'`);
        expect(rows[0].n).toBe(1);
      } finally {
        await split.close();
      }
    } finally {
      await replica.drop();
    }
  });
});

describe('login throttle', () => {
  it('shares counts through Redis across service instances (replicas)', async () => {
    await service().register({ email: 'twin@uni.test', password: 'shared counters ok', displayName: 'S' }, newIp());
    for (let i = 0; i < config.LOGIN_MAX_FAILURES_PER_ACCOUNT; i++) {
      await expect(service().login({ email: 'twin@uni.test', password: 'wrong guess here' }, `192.0.2.${i}`)).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    }
    await expect(service().login({ email: 'twin@uni.test', password: 'shared counters ok' }, '192.0.2.99')).rejects.toMatchObject({ extensions: { code: 'RATE_LIMITED' } });
    const keys = await redisT.client.keys(`${redisT.prefix}login-fail-account*`);
    expect(keys.length).toBe(1);
  });
});
