// A WebSocket outlives the access token it was opened with: subscriptions started after the token
// expired are refused (the client reconnects with a fresh token). Access tokens live 2 s here.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { collect, wsClient } from '../support/course.ts';
import { registerUser, startStack, type Stack } from '../support/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { ACCESS_TOKEN_TTL: '2' } });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
});

const STREAM = `subscription($m: ID!) { tutorAnswer(messageId: $m) { seq } }`;

it('refuses new subscriptions on a socket whose access token has expired', async () => {
  const user = await registerUser(stack);
  const client = wsClient(stack.routerUrl, user.accessToken);
  // While the token is valid, the socket is accepted and the subscription reaches the tutor.
  const before = await collect(client, STREAM, { m: '00000000-0000-4000-8000-000000000000' });
  expect(before[0]!.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  await new Promise((r) => setTimeout(r, 2_500));
  const after = await collect(client, STREAM, { m: '00000000-0000-4000-8000-000000000000' }).catch((e: unknown) => e);
  expect(JSON.stringify(after)).toMatch(/Access token expired; reconnect with a fresh token/);
  await client.dispose();
});
