// Registration throttle and duplicate check (issue 12): one client address can run argon2 and probe
// emails only so many times per window, and a taken email costs the same work as a new account.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { type Harness, newIp, startHarness } from './harness.ts';

let h: Harness;
const LIMIT = 3;
const WINDOW = 600;

beforeAll(async () => {
  h = await startHarness({ REGISTER_MAX_PER_IP: String(LIMIT), REGISTER_IP_WINDOW_SECONDS: String(WINDOW) });
});
afterAll(async () => {
  jest.restoreAllMocks();
  await h?.close();
});

let n = 0;
const input = (email = `new.${++n}.${Date.now()}@uni.test`) => ({ email, password: 'a long enough passphrase', displayName: 'New' });

describe('registration throttle', () => {
  it(`allows ${LIMIT} registrations from one address within the window, answers the next RATE_LIMITED with retryAfter, and leaves other addresses alone`, async () => {
    const ip = newIp();
    for (let i = 0; i < LIMIT; i++) expect((await h.service().register(input(), ip)).user.role).toBe('STUDENT');
    const limited = h.service().register(input(), ip);
    await expect(limited).rejects.toMatchObject({ extensions: { code: 'RATE_LIMITED' } });
    const retryAfter = ((await limited.catch((e: unknown) => e)) as { extensions: { retryAfter: number } }).extensions.retryAfter;
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(WINDOW);
    // Another address is unaffected.
    expect((await h.service().register(input(), newIp())).user.role).toBe('STUDENT');
  });

  it('counts attempts with a taken email too, and a refused attempt runs no argon2 and says nothing about the email', async () => {
    const hash = jest.spyOn(h.hasher, 'hash');
    const ip = newIp();
    const taken = input();
    await h.service().register(taken, ip);
    expect(hash).toHaveBeenCalledTimes(1);
    // A taken email: CONFLICT, after the same argon2 work as a new account.
    await expect(h.service().register(taken, ip)).rejects.toMatchObject({ extensions: { code: 'CONFLICT', field: 'input.email' } });
    expect(hash).toHaveBeenCalledTimes(2);
    await h.service().register(input(), ip);
    expect(hash).toHaveBeenCalledTimes(3);
    // Over the limit: the taken email is no longer told apart from a free one, and nothing is hashed.
    await expect(h.service().register(taken, ip)).rejects.toMatchObject({ extensions: { code: 'RATE_LIMITED' } });
    await expect(h.service().register(input(), ip)).rejects.toMatchObject({ extensions: { code: 'RATE_LIMITED' } });
    expect(hash).toHaveBeenCalledTimes(3);
    hash.mockRestore();
  });

  it('does not count refused input (it costs no hashing and reveals nothing)', async () => {
    const ip = newIp();
    for (let i = 0; i < LIMIT + 2; i++) {
      await expect(h.service().register({ ...input(), password: 'short' }, ip)).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    }
    expect((await h.service().register(input(), ip)).user.role).toBe('STUDENT');
  });

  it('counts an IPv6 client per /64, so rotating addresses inside it gains nothing', async () => {
    for (const ip of ['2001:db8:7:1::1', '2001:db8:7:1::2', '2001:DB8:7:1:ffff:1:2:3']) await h.service().register(input(), ip);
    await expect(h.service().register(input(), '2001:db8:7:1:abcd::9')).rejects.toMatchObject({ extensions: { code: 'RATE_LIMITED' } });
    expect((await h.service().register(input(), '2001:db8:7:2::1')).user.role).toBe('STUDENT');
  });

  it('keeps the counts in Redis, shared by every replica', async () => {
    const ip = newIp();
    await h.service().register(input(), ip);
    const keys = await h.redisT.client.keys(`${h.redisT.prefix}register-ip*${ip}`);
    expect(keys).toHaveLength(1);
  });
});

describe('duplicate check', () => {
  it('finds a taken email in any case or spacing before creating anything', async () => {
    const email = `twice.${Date.now()}@uni.test`;
    await h.service().register(input(email), newIp());
    await expect(h.service().register(input(`  ${email.toUpperCase()} `), newIp())).rejects.toMatchObject({ extensions: { code: 'CONFLICT' } });
    const { rows } = await h.sql.query('select count(*)::int as n from auth.users where email = $1', [email]);
    expect(rows[0].n).toBe(1);
  });

  it('two registrations racing for one email: one account, the other CONFLICT', async () => {
    const email = `race.${Date.now()}@uni.test`;
    const results = await Promise.allSettled([h.service().register(input(email), newIp()), h.service().register(input(email), newIp())]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { extensions: { code: 'CONFLICT' } } });
  });
});
