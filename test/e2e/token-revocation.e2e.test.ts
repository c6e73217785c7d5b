// Access tokens stop working the moment auth revokes them, through the router: after a role change
// the old token is refused with TOKEN_REVOKED and one refresh brings the new role (no new sign-in);
// after logout the sign-in's access tokens are refused; other users are unaffected.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { errorCode } from '@ai-teacher/shared/testing';
import { ADMIN, login, LOGOUT, ME, REFRESH, registerUser, type Session, SET_ROLE, startStack, type Stack } from '../support/stack.ts';

let stack: Stack;
let admin: Session;

beforeAll(async () => {
  stack = await startStack();
  admin = (await login(stack, ADMIN.email, ADMIN.password)).data!.login;
});
afterAll(async () => {
  await stack?.stop();
});

describe('access-token revocation', () => {
  it('a role change refuses the old token at once; one refresh issues the new role', async () => {
    const user = await registerUser(stack);
    const bystander = await registerUser(stack);
    expect((await stack.query(ME, {}, user.accessToken)).data!.me.role).toBe('STUDENT');
    await stack.query(SET_ROLE, { userId: user.user.id, role: 'TEACHER' }, admin.accessToken);
    const old = await stack.query(ME, {}, user.accessToken);
    expect(old.status).toBe(401);
    expect(errorCode(old)).toBe('UNAUTHENTICATED');
    expect(old.errors![0]!.extensions!.reason).toBe('TOKEN_REVOKED');
    const refreshed = (await stack.query<{ refreshToken: Session }>(REFRESH, { token: user.refreshToken })).data!.refreshToken;
    expect((await stack.query(ME, {}, refreshed.accessToken)).data!.me.role).toBe('TEACHER');
    expect((await stack.query(ME, {}, bystander.accessToken)).data!.me.id).toBe(bystander.user.id);
  });

  it('logout refuses that sign-in\'s access token, not the user\'s other sign-ins', async () => {
    const user = await registerUser(stack);
    const second = (await login(stack, user.user.email, user.password)).data!.login;
    expect((await stack.query(LOGOUT, { token: user.refreshToken }, user.accessToken)).data!.logout).toBe(true);
    const res = await stack.query(ME, {}, user.accessToken);
    expect(res.errors![0]!.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOKEN_REVOKED' });
    expect((await stack.query(ME, {}, second.accessToken)).data!.me.id).toBe(user.user.id);
  });
});
