// Sign-ins (issue 12): access tokens revoked by logout, reuse and role changes (through the Redis keys
// the router reads), an absolute lifetime for refresh-token families, and deletion of unusable rows.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { accessTokenRevoked, type Identity, revocationKeys, TokenRevocation } from '@ai-teacher/shared';
import { decodeJwt } from 'jose';
import { RefreshTokenCleanup } from '../src/services/refresh-token-cleanup.service.ts';
import { type Harness, newIp, startHarness } from './harness.ts';

let h: Harness;
let admin: Identity;

beforeAll(async () => {
  h = await startHarness();
  await h.service().ensureAdmin('root@uni.test', 'the keys to everything');
  const { rows } = await h.sql.query(`select id from auth.users where email = 'root@uni.test'`);
  admin = { userId: rows[0].id, role: 'ADMIN' };
});
afterAll(async () => {
  await h?.close();
});

let n = 0;
const register = () => h.service().register({ email: `user.${++n}.${Date.now()}@uni.test`, password: 'a long enough passphrase', displayName: 'U' }, newIp());
/** What the router decides for an access token after verifying it (see the reference check). */
const routerCheck = (accessToken: string) => accessTokenRevoked(h.redis, decodeJwt(accessToken) as { sub: string });

describe('access tokens', () => {
  it('carry the sign-in as sid (the refresh-token family, kept by refresh) and the token version as ver', async () => {
    const first = await register();
    const claims = decodeJwt(first.accessToken);
    expect(claims).toMatchObject({ sub: first.user.id, ver: 0 });
    const { rows } = await h.sql.query('select family_id from auth.refresh_tokens where user_id = $1', [first.user.id]);
    expect(claims.sid).toBe(rows[0].family_id);
    const second = await h.service().refresh(first.refreshToken);
    expect(decodeJwt(second.accessToken).sid).toBe(claims.sid);
    expect(typeof claims.jti).toBe('string');
  });
});

describe('logout', () => {
  it("revokes that sign-in's access tokens for as long as they could live; other sign-ins keep working", async () => {
    const web = await register();
    const phone = await h.service().login({ email: web.user.email, password: 'a long enough passphrase' }, newIp());
    expect(await routerCheck(web.accessToken)).toBeNull();
    expect(await h.service().logout(web.refreshToken)).toBe(true);
    expect(await routerCheck(web.accessToken)).toBe('signed-out');
    expect(await routerCheck(phone.accessToken)).toBeNull();
    const ttl = await h.redis.ttl(revocationKeys.revokedSession(String(decodeJwt(web.accessToken).sid)));
    expect(ttl).toBeGreaterThan(h.config.ACCESS_TOKEN_TTL - 5);
    expect(ttl).toBeLessThanOrEqual(h.config.ACCESS_TOKEN_TTL + 60);
  });

  it('refresh-token reuse (a stolen token) revokes the access tokens of the whole sign-in too', async () => {
    const victim = await register();
    const rotated = await h.service().refresh(victim.refreshToken);
    await expect(h.service().refresh(victim.refreshToken)).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    expect(await routerCheck(rotated.accessToken)).toBe('signed-out');
    expect(await routerCheck(victim.accessToken)).toBe('signed-out');
  });
});

describe('role change', () => {
  it('refuses access tokens issued before it; a refresh (no new sign-in) gives one with the new role that is accepted', async () => {
    const user = await register();
    const otherSignIn = await h.service().login({ email: user.user.email, password: 'a long enough passphrase' }, newIp());
    await h.service().setUserRole(admin, user.user.id, 'TEACHER');
    expect(await routerCheck(user.accessToken)).toBe('role-changed');
    expect(await routerCheck(otherSignIn.accessToken)).toBe('role-changed');
    const refreshed = await h.service().refresh(user.refreshToken);
    expect(decodeJwt(refreshed.accessToken)).toMatchObject({ role: 'TEACHER', ver: 1 });
    expect(await routerCheck(refreshed.accessToken)).toBeNull();
    // Other users are not affected.
    const bystander = await register();
    expect(await routerCheck(bystander.accessToken)).toBeNull();
  });

  it('each change raises the version, a no-op changes nothing, and the key never goes down', async () => {
    const user = await register();
    await h.service().setUserRole(admin, user.user.id, 'TEACHER');
    await h.service().setUserRole(admin, user.user.id, 'STUDENT');
    await h.service().setUserRole(admin, user.user.id, 'STUDENT');
    const { rows } = await h.sql.query('select token_version from auth.users where id = $1', [user.user.id]);
    expect(rows[0].token_version).toBe(2);
    const key = revocationKeys.tokenVersion(user.user.id);
    expect(await h.redis.get(key)).toBe('2');
    await new TokenRevocation(h.redis, 900).requireTokenVersion(user.user.id, 1);
    expect(await h.redis.get(key)).toBe('2');
    expect(await h.redis.ttl(key)).toBeGreaterThan(900);
  });

  it('concurrent role changes each get their own version', async () => {
    const users = await Promise.all([register(), register()]);
    const target = users[0].user.id;
    await Promise.all([h.service().setUserRole(admin, target, 'TEACHER'), h.service().setUserRole(admin, users[1].user.id, 'TEACHER')]);
    await Promise.all([h.service().setUserRole(admin, target, 'ADMIN'), h.service().setUserRole(admin, target, 'STUDENT')]);
    const { rows } = await h.sql.query('select token_version, role from auth.users where id = $1', [target]);
    expect(rows[0].token_version).toBe(3);
    expect(await h.redis.get(revocationKeys.tokenVersion(target))).toBe('3');
  });
});

describe('refresh family lifetime', () => {
  it('ends a sign-in REFRESH_FAMILY_MAX_AGE after it began, however often it was refreshed', async () => {
    const short = { REFRESH_FAMILY_MAX_AGE: 2 };
    const started = Date.now();
    const first = await h.service(short).register({ email: `brief.${Date.now()}@uni.test`, password: 'a long enough passphrase', displayName: 'B' }, newIp());
    const second = await h.service(short).refresh(first.refreshToken);
    // No refresh token outlives its sign-in.
    const { rows } = await h.sql.query('select max(expires_at) as latest from auth.refresh_tokens where user_id = $1', [first.user.id]);
    expect(new Date(rows[0].latest).getTime()).toBeLessThanOrEqual(started + 2_000 + 1_000);
    await new Promise((r) => setTimeout(r, Math.max(0, started + 2_100 - Date.now())));
    await expect(h.service(short).refresh(second.refreshToken)).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' }, message: expect.stringMatching(/maximum age/) });
    // A new sign-in works.
    expect((await h.service(short).login({ email: first.user.email, password: 'a long enough passphrase' }, newIp())).user.id).toBe(first.user.id);
  });

  it('defaults to 90 days', () => {
    expect(h.config.REFRESH_FAMILY_MAX_AGE).toBe(90 * 24 * 3600);
  });
});

describe('clean-up of unusable refresh tokens', () => {
  const DAY = 24 * 3600 * 1000;
  /** Rows of one family, the current (unused) token last; returns their ids. */
  async function family(userId: string, opts: { startedDaysAgo: number; current: { expiresInDays: number; revoked?: boolean }; usedRows?: number; usedExpiresInDays?: number }): Promise<string[]> {
    const familyId = randomUUID();
    const started = new Date(Date.now() - opts.startedDaysAgo * DAY);
    const ids: string[] = [];
    const insert = async (expiresInDays: number, used: boolean, revoked: boolean) => {
      const id = randomUUID();
      ids.push(id);
      await h.sql.query(
        `insert into auth.refresh_tokens (id, family_id, family_started_at, user_id, token_hash, expires_at, created_at, used_at, revoked_at, revoked_reason)
         values ($1, $2, $3, $4, $5, $6, $3, $7, $8, $9)`,
        [id, familyId, started, userId, randomUUID().replace(/-/g, '').padEnd(64, '0'), new Date(Date.now() + expiresInDays * DAY), used ? started : null, revoked ? new Date() : null, revoked ? 'logout' : null],
      );
    };
    for (let i = 0; i < (opts.usedRows ?? 0); i++) await insert(opts.usedExpiresInDays ?? 20, true, opts.current.revoked ?? false);
    await insert(opts.current.expiresInDays, false, opts.current.revoked ?? false);
    return ids;
  }
  const remaining = async (ids: string[]) => (await h.sql.query('select count(*)::int as n from auth.refresh_tokens where id = any($1)', [ids])).rows[0].n as number;

  it('deletes expired, revoked and too-old rows, keeps live sign-ins (their used tokens too, for reuse detection), at most REFRESH_TOKEN_CLEANUP_MAX_ROWS per run', async () => {
    // Rows left unusable by earlier tests go first.
    await new RefreshTokenCleanup(h.orm, h.config, h.logger).runOnce();
    const user = (await register()).user.id;
    const live = await family(user, { startedDaysAgo: 10, current: { expiresInDays: 20 }, usedRows: 2 });
    const expired = await family(user, { startedDaysAgo: 40, current: { expiresInDays: -1 } });
    const revoked = await family(user, { startedDaysAgo: 1, current: { expiresInDays: 29, revoked: true }, usedRows: 1 });
    const tooOld = await family(user, { startedDaysAgo: 91, current: { expiresInDays: 5 }, usedRows: 1 });
    const oldUsed = await family(user, { startedDaysAgo: 50, current: { expiresInDays: 25 }, usedRows: 1, usedExpiresInDays: -5 });
    const dead = [...expired, ...revoked, ...tooOld, oldUsed[0]!]; // 1 + 2 + 2 + 1 rows
    const cleanup = new RefreshTokenCleanup(h.orm, { ...h.config, REFRESH_TOKEN_CLEANUP_MAX_ROWS: 4 }, h.logger);
    expect(await cleanup.runOnce()).toBe(4);
    expect(await remaining(dead)).toBe(2);
    expect(await cleanup.runOnce()).toBe(2);
    expect(await remaining(dead)).toBe(0);
    expect(await cleanup.runOnce()).toBe(0);
    expect(await remaining(live)).toBe(3);
    expect(await remaining([oldUsed[1]!])).toBe(1);
  });

  it('keeps what a sign-in in use needs: refreshing and reuse detection still work after a run', async () => {
    const first = await register();
    const second = await h.service().refresh(first.refreshToken);
    await new RefreshTokenCleanup(h.orm, h.config, h.logger).runOnce();
    await expect(h.service().refresh(first.refreshToken)).rejects.toMatchObject({ message: expect.stringMatching(/already used/) });
    await expect(h.service().refresh(second.refreshToken)).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
  });
});
