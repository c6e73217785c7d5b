// Every auth behaviour, exercised the way clients use it: through the router's single endpoint.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { errorCode } from '@ai-teacher/shared/testing';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { ADMIN, LOGIN, LOGOUT, ME, REFRESH, REGISTER, SET_ROLE, login, newEmail, registerUser, startStack, type Session, type Stack } from '../support/stack.ts';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ env: { LOGIN_MAX_FAILURES_PER_ACCOUNT: '3', LOGIN_MAX_FAILURES_PER_IP: '6' } });
});
afterAll(async () => {
  await stack?.stop();
});

describe('register', () => {
  it('creates a STUDENT with a normalised email and signs it in', async () => {
    const res = await stack.query(REGISTER, { input: { email: '  Ada.Lovelace@UNI.test ', password: 'analytical engine notes', displayName: ' Ada  Lovelace ' } });
    expect(res.errors).toBeUndefined();
    const payload = res.data!.register;
    expect(payload.user).toMatchObject({ email: 'ada.lovelace@uni.test', role: 'STUDENT' });
    expect(new Date(payload.user.createdAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(payload.expiresIn).toBe(900);
    const me = await stack.query(ME, {}, payload.accessToken);
    expect(me.data!.me).toEqual({ id: payload.user.id, email: 'ada.lovelace@uni.test', role: 'STUDENT' });
  });

  it('issues short-lived asymmetric access tokens with kid, iss, aud, exp and typ', async () => {
    const { accessToken, user } = await registerUser(stack);
    const header = decodeProtectedHeader(accessToken);
    expect(header).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt' });
    expect(typeof header.kid).toBe('string');
    const claims = decodeJwt(accessToken);
    expect(claims).toMatchObject({ sub: user.id, role: 'STUDENT', iss: 'urn:ai-teacher:auth', aud: 'urn:ai-teacher:api' });
    expect(claims.exp! - claims.iat!).toBe(900);
    const jwks = (await (await fetch(`${stack.auth.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string; kty: string; d?: string }[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kid: header.kid, kty: 'OKP' });
    expect(jwks.keys[0]!.d).toBeUndefined(); // never the private part
  });

  it('refuses a second account for the same mailbox, whatever its case', async () => {
    const email = newEmail();
    await registerUser(stack, email);
    const res = await stack.query(REGISTER, { input: { email: email.toUpperCase(), password: 'another fine passphrase', displayName: 'Dup' } });
    expect(errorCode(res)).toBe('CONFLICT');
    expect(res.errors![0]!.extensions!.field).toBe('input.email');
  });

  it.each([
    [{ email: 'not-an-email', password: 'a long enough passphrase', displayName: 'X' }, 'input.email'],
    [{ email: newEmail(), password: 'short', displayName: 'X' }, 'input.password'],
    [{ email: newEmail(), password: 'password1234', displayName: 'X' }, 'input.password'],
    [{ email: newEmail(), password: 'x'.repeat(300), displayName: 'X' }, 'input.password'],
    [{ email: newEmail(), password: 'a long enough passphrase', displayName: '   ' }, 'input.displayName'],
  ])('rejects bad input %# with BAD_USER_INPUT naming the field', async (input, field) => {
    const res = await stack.query(REGISTER, { input });
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(res.errors![0]!.extensions!.field).toBe(field);
    expect(res.data).toBeNull();
  });

  it('does not create an account when the input is refused', async () => {
    const email = newEmail();
    await stack.query(REGISTER, { input: { email, password: 'qwertyuiop', displayName: 'X' } });
    const res = await login(stack, email, 'qwertyuiop');
    expect(errorCode(res)).toBe('UNAUTHENTICATED');
  });
});

describe('login', () => {
  it('signs in with the right password, whatever the email case', async () => {
    const user = await registerUser(stack);
    const res = await login(stack, user.user.email.toUpperCase(), user.password);
    expect(res.data!.login.user.id).toBe(user.user.id);
  });

  it('answers a wrong password and an unknown account the same way', async () => {
    const user = await registerUser(stack);
    const wrong = await login(stack, user.user.email, 'not the password at all', { 'x-forwarded-for': '198.51.100.1' });
    const unknown = await login(stack, newEmail(), 'not the password at all', { 'x-forwarded-for': '198.51.100.1' });
    expect(errorCode(wrong)).toBe('UNAUTHENTICATED');
    expect(errorCode(unknown)).toBe('UNAUTHENTICATED');
    expect(wrong.errors![0]!.message).toBe(unknown.errors![0]!.message);
  });

  it('locks an account after a burst of failures, even for the right password, with retryAfter', async () => {
    const user = await registerUser(stack);
    const ip = { 'x-forwarded-for': '198.51.100.2' };
    for (let i = 0; i < 3; i++) expect(errorCode(await login(stack, user.user.email, 'wrong password here', ip))).toBe('UNAUTHENTICATED');
    const locked = await login(stack, user.user.email, user.password, { 'x-forwarded-for': '198.51.100.3' });
    expect(errorCode(locked)).toBe('RATE_LIMITED');
    const retryAfter = locked.errors![0]!.extensions!.retryAfter as number;
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(900);
  });

  it('a successful login clears earlier failures of the account', async () => {
    const user = await registerUser(stack);
    const ip = { 'x-forwarded-for': '198.51.100.4' };
    for (let i = 0; i < 2; i++) await login(stack, user.user.email, 'wrong password here', ip);
    expect((await login(stack, user.user.email, user.password, ip)).data?.login).toBeTruthy();
    for (let i = 0; i < 2; i++) await login(stack, user.user.email, 'wrong password here', { 'x-forwarded-for': '198.51.100.5' });
    expect((await login(stack, user.user.email, user.password, { 'x-forwarded-for': '198.51.100.6' })).data?.login).toBeTruthy();
  });

  it('blocks an address that fails across many accounts', async () => {
    const ip = { 'x-forwarded-for': '203.0.113.9' };
    for (let i = 0; i < 6; i++) expect(errorCode(await login(stack, newEmail('spray'), 'guess number one', ip))).toBe('UNAUTHENTICATED');
    const blocked = await login(stack, newEmail('spray'), 'guess number one', ip);
    expect(errorCode(blocked)).toBe('RATE_LIMITED');
    expect(blocked.errors![0]!.extensions!.retryAfter).toBeGreaterThan(0);
    // Other clients are unaffected.
    const user = await registerUser(stack);
    expect((await login(stack, user.user.email, user.password, { 'x-forwarded-for': '203.0.113.10' })).data?.login).toBeTruthy();
  });

  it('rejects blank input with BAD_USER_INPUT', async () => {
    const res = await stack.query(LOGIN, { input: { email: ' ', password: '' } });
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
  });
});

describe('refresh tokens', () => {
  it('rotate: each refresh returns a new pair and the new access token works', async () => {
    const first = await registerUser(stack);
    const res = await stack.query<{ refreshToken: Session }>(REFRESH, { token: first.refreshToken });
    const second = res.data!.refreshToken;
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect((await stack.query(ME, {}, second.accessToken)).data!.me.id).toBe(first.user.id);
  });

  it('presenting a rotated token revokes the whole family, including the newest token', async () => {
    const first = await registerUser(stack);
    const second = (await stack.query<{ refreshToken: Session }>(REFRESH, { token: first.refreshToken })).data!.refreshToken;
    const reuse = await stack.query(REFRESH, { token: first.refreshToken });
    expect(errorCode(reuse)).toBe('UNAUTHENTICATED');
    const afterReuse = await stack.query(REFRESH, { token: second.refreshToken });
    expect(errorCode(afterReuse)).toBe('UNAUTHENTICATED');
    // Other sign-ins of the same user are untouched.
    const other = await login(stack, first.user.email, first.password);
    expect((await stack.query(REFRESH, { token: other.data!.login.refreshToken })).data?.refreshToken).toBeTruthy();
  });

  it('two refreshes racing with one token: exactly one wins', async () => {
    const first = await registerUser(stack);
    const results = await Promise.all([stack.query(REFRESH, { token: first.refreshToken }), stack.query(REFRESH, { token: first.refreshToken })]);
    expect(results.filter((r) => r.data?.refreshToken).length).toBe(1);
  });

  it('refuses unknown and malformed tokens', async () => {
    expect(errorCode(await stack.query(REFRESH, { token: 'A'.repeat(43) }))).toBe('UNAUTHENTICATED');
    const malformed = await stack.query(REFRESH, { token: 'not a token' });
    expect(errorCode(malformed)).toBe('BAD_USER_INPUT');
    expect(malformed.errors![0]!.extensions!.field).toBe('refreshToken');
  });
});

describe('logout', () => {
  it('ends the sign-in: its refresh token no longer works', async () => {
    const user = await registerUser(stack);
    expect((await stack.query(LOGOUT, { token: user.refreshToken })).data!.logout).toBe(true);
    expect(errorCode(await stack.query(REFRESH, { token: user.refreshToken }))).toBe('UNAUTHENTICATED');
    expect((await stack.query(LOGOUT, { token: user.refreshToken })).data!.logout).toBe(false);
  });

  it('ends only that sign-in', async () => {
    const user = await registerUser(stack);
    const phone = (await login(stack, user.user.email, user.password)).data!.login;
    await stack.query(LOGOUT, { token: user.refreshToken });
    expect((await stack.query(REFRESH, { token: phone.refreshToken })).data?.refreshToken).toBeTruthy();
  });
});

describe('me', () => {
  it('is null for anonymous callers', async () => {
    const res = await stack.query(ME);
    expect(res.errors).toBeUndefined();
    expect(res.data!.me).toBeNull();
  });
});

describe('setUserRole', () => {
  let admin: Session;
  beforeAll(async () => {
    admin = (await login(stack, ADMIN.email, ADMIN.password, { 'x-forwarded-for': '192.0.2.50' })).data!.login;
  });

  it('the first admin exists from ADMIN_EMAIL / ADMIN_PASSWORD', () => {
    expect(admin.user.role).toBe('ADMIN');
  });

  it('an admin promotes a student; the new role shows after a refresh', async () => {
    const user = await registerUser(stack);
    const res = await stack.query(SET_ROLE, { userId: user.user.id, role: 'TEACHER' }, admin.accessToken);
    expect(res.data!.setUserRole).toEqual({ id: user.user.id, role: 'TEACHER' });
    const refreshed = (await stack.query<{ refreshToken: Session }>(REFRESH, { token: user.refreshToken })).data!.refreshToken;
    expect(decodeJwt(refreshed.accessToken).role).toBe('TEACHER');
    expect((await stack.query(ME, {}, refreshed.accessToken)).data!.me.role).toBe('TEACHER');
  });

  it('students and teachers get FORBIDDEN, anonymous callers UNAUTHENTICATED', async () => {
    const student = await registerUser(stack);
    const target = await registerUser(stack);
    const forbidden = await stack.query(SET_ROLE, { userId: target.user.id, role: 'ADMIN' }, student.accessToken);
    expect(errorCode(forbidden)).toBe('FORBIDDEN');
    const anonymous = await stack.query(SET_ROLE, { userId: target.user.id, role: 'ADMIN' });
    expect(errorCode(anonymous)).toBe('UNAUTHENTICATED');
    expect((await stack.query(ME, {}, target.accessToken)).data!.me.role).toBe('STUDENT');
  });

  it('unknown ids are NOT_FOUND, malformed ids BAD_USER_INPUT, own role CONFLICT', async () => {
    expect(errorCode(await stack.query(SET_ROLE, { userId: '00000000-0000-4000-8000-000000000000', role: 'TEACHER' }, admin.accessToken))).toBe('NOT_FOUND');
    const malformed = await stack.query(SET_ROLE, { userId: 'abc', role: 'TEACHER' }, admin.accessToken);
    expect(errorCode(malformed)).toBe('BAD_USER_INPUT');
    expect(malformed.errors![0]!.extensions!.field).toBe('userId');
    expect(errorCode(await stack.query(SET_ROLE, { userId: admin.user.id, role: 'STUDENT' }, admin.accessToken))).toBe('CONFLICT');
    const badRole = await stack.query(SET_ROLE, { userId: admin.user.id, role: 'DEAN' }, admin.accessToken);
    expect(errorCode(badRole)).toBe('BAD_USER_INPUT');
  });
});
