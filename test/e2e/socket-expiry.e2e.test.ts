// Subscriptions end with the access token they were opened with: when it expires the router closes
// the socket (4401) and open subscriptions end; reconnecting with the expired token is refused (the
// client reconnects with a fresh one). Access tokens live 2 s here.
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
const FEED = `subscription { notificationAdded { id } }`;

it('an open subscription ends when its token expires, and the expired token cannot reconnect', async () => {
  const user = await registerUser(stack);
  const client = wsClient(stack.routerUrl, user.accessToken);
  // While the token is valid, the socket is accepted and the subscription reaches the tutor.
  const before = await collect(client, STREAM, { m: '00000000-0000-4000-8000-000000000000' });
  expect(before[0]!.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  // A subscription that would run for ever is ended by the router at the token's expiry.
  const started = Date.now();
  const ended = await collect(client, FEED, {}, () => false, 15_000).then(
    () => ({ code: 0 }),
    (e: unknown) => e as { code: number; reason: string },
  );
  expect(ended.code).toBe(4401);
  expect(Date.now() - started).toBeLessThan(10_000);
  // Reconnecting with the same, now expired token gets nothing. Whichever wins the race — the
  // socket's close (4403 past the verifier's clock tolerance, 4401 within it) or the refusal of the
  // subscribe message (UNAUTHENTICATED) — no data is delivered.
  const again = await collect(client, FEED, {}, () => false, 5_000).catch((e: unknown) => e as { code?: number } | unknown[]);
  if (Array.isArray(again)) {
    expect(again.every((r) => ((r as { data?: unknown }).data ?? null) === null)).toBe(true);
    if (again.length) expect(JSON.stringify(again)).toMatch(/UNAUTHENTICATED/);
  } else {
    expect([4401, 4403]).toContain(again.code);
  }
  await client.dispose();
});
