// The first admin from ADMIN_EMAIL / ADMIN_PASSWORD (issue 12): created only when no account has the
// email; an existing account is never promoted, never re-promoted, and its password never changed.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Identity } from '@ai-teacher/shared';
import { type Harness, newIp, startHarness } from './harness.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

async function account(email: string): Promise<{ id: string; role: string; password_hash: string; updated_at: Date } | undefined> {
  const { rows } = await h.sql.query('select id, role, password_hash, updated_at from auth.users where email = $1', [email]);
  return rows[0];
}
const errorsLogged = () => h.logs.filter((l) => l.level === 'error').map((l) => String(l.msg));
const signsIn = (email: string, password: string) => h.service().login({ email, password }, newIp()).then(() => true, () => false);

describe('first admin', () => {
  it('is created with ADMIN_PASSWORD when no account has the email', async () => {
    const outcome = await h.service().ensureAdmin('Boss@Uni.test', 'the registrar knows');
    expect((await account('boss@uni.test'))?.role).toBe('ADMIN');
    expect(await signsIn('boss@uni.test', 'the registrar knows')).toBe(true);
    expect(outcome).toBe('created');
  });

  it('is left exactly as it is at the next start, whatever ADMIN_PASSWORD says now', async () => {
    await h.service().ensureAdmin('chief@uni.test', 'the first passphrase');
    const before = await account('chief@uni.test');
    const outcome = await h.service().ensureAdmin('chief@uni.test', 'a different passphrase');
    expect(await account('chief@uni.test')).toEqual(before);
    expect(await signsIn('chief@uni.test', 'the first passphrase')).toBe(true);
    expect(await signsIn('chief@uni.test', 'a different passphrase')).toBe(false);
    expect(outcome).toBe('exists');
  });

  it('does not promote an account somebody registered with that email first, keeps its password, logs what to do and starts', async () => {
    const squatter = await h.service().register({ email: 'dean@uni.test', password: 'i got here first', displayName: 'Squatter' }, newIp());
    const before = await account('dean@uni.test');
    const errors = errorsLogged().length;
    const outcome = await h.service().ensureAdmin('dean@uni.test', 'the real admin secret');
    expect(await account('dean@uni.test')).toEqual(before);
    expect(outcome).toBe('not-promoted');
    expect((await h.service().me({ userId: squatter.user.id, role: 'STUDENT' }))?.role).toBe('STUDENT');
    expect(await signsIn('dean@uni.test', 'the real admin secret')).toBe(false);
    const logged = errorsLogged().slice(errors);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/ADMIN_EMAIL dean@uni\.test .*NOT made an administrator/);
    expect(logged[0]).toMatch(/setUserRole/);
    expect(logged[0]).toMatch(/set ADMIN_EMAIL to an address that has no account/);
  });

  it('does not re-promote an admin who was demoted, at any later start', async () => {
    await h.service().ensureAdmin('former@uni.test', 'once in charge here');
    const former = (await account('former@uni.test'))!;
    const otherAdmin: Identity = { userId: (await account('boss@uni.test'))!.id, role: 'ADMIN' };
    await h.service().setUserRole(otherAdmin, former.id, 'TEACHER');
    for (let restart = 0; restart < 2; restart++) {
      const outcome = await h.service().ensureAdmin('former@uni.test', 'once in charge here');
      expect((await account('former@uni.test'))?.role).toBe('TEACHER');
      expect(outcome).toBe('not-promoted');
    }
  });

  it('two replicas starting at once create one admin', async () => {
    const outcomes = await Promise.all([h.service().ensureAdmin('twin.boss@uni.test', 'started together'), h.service().ensureAdmin('twin.boss@uni.test', 'started together')]);
    expect(outcomes.sort()).toEqual(['created', 'exists']);
    const { rows } = await h.sql.query(`select role from auth.users where email = 'twin.boss@uni.test'`);
    expect(rows).toEqual([{ role: 'ADMIN' }]);
  });

  it('refuses a weak ADMIN_PASSWORD when it would create the account', async () => {
    await expect(h.service().ensureAdmin('weak@uni.test', 'password')).rejects.toThrow(/ADMIN_PASSWORD/);
    expect(await account('weak@uni.test')).toBeUndefined();
  });
});
