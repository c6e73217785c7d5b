// WebSocket caps: open sockets per user and per client address, counted across router replicas
// in Redis (one over the cap is closed with 4429 and a reason), and subscribe messages per socket
// per minute (RATE_LIMITED with retryAfter; the socket stays open).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startRouter, type RunningRouter } from '@ai-teacher/router';
import { createClient } from 'graphql-ws';
import { WebSocket } from 'ws';
import { collect } from '../support/course.ts';
import { newEmail, REGISTER, startStack, type StackWithoutWorkers } from '../support/stack.ts';

let stack: StackWithoutWorkers;
let replica: RunningRouter;

beforeAll(async () => {
  stack = await startStack({ workers: false, routerEnv: { WS_MAX_SOCKETS_PER_USER: '2', WS_SUBSCRIBE_PER_MINUTE: '3' } });
  // A second replica with the same settings and the same Redis.
  replica = await startRouter({ ...stack.env, WS_MAX_SOCKETS_PER_USER: '2', WS_SUBSCRIBE_PER_MINUTE: '3' });
}, 60_000);
afterAll(async () => {
  await replica?.stop();
  await stack?.stop();
});

async function registerUser(): Promise<{ accessToken: string }> {
  const res = await stack.query(REGISTER, { input: { email: newEmail(), password: 'a long enough passphrase', displayName: 'Socket user' } });
  if (!res.data?.register) throw new Error(JSON.stringify(res.errors));
  return res.data.register;
}

type Outcome = { acked: true } | { acked: false; code: number; reason: string };

/** A raw graphql-transport-ws socket: acknowledged, or closed (with code and reason). */
function open(httpUrl: string, token: string, headers: Record<string, string> = {}): { socket: WebSocket; outcome: Promise<Outcome> } {
  const socket = new WebSocket(httpUrl.replace(/^http/, 'ws'), 'graphql-transport-ws', { headers });
  const outcome = new Promise<Outcome>((resolve, reject) => {
    socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
    socket.on('message', (data) => {
      if ((JSON.parse(String(data)) as { type: string }).type === 'connection_ack') resolve({ acked: true });
    });
    socket.once('close', (code, reason) => resolve({ acked: false, code, reason: reason.toString() }));
    socket.once('error', reject);
  });
  return { socket, outcome };
}

async function closeAll(sockets: WebSocket[]): Promise<void> {
  await Promise.all(sockets.map((s) => (s.readyState === WebSocket.CLOSED ? undefined : new Promise((r) => { s.once('close', r); s.close(); }))));
}

/** Opens sockets until one is acknowledged (a slot freed by a close is released asynchronously). */
async function eventuallyAcked(httpUrl: string, token: string): Promise<WebSocket> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const { socket, outcome } = open(httpUrl, token);
    const result = await outcome;
    if (result.acked) return socket;
    if (Date.now() > deadline) throw new Error(`still refused: ${result.code} ${result.reason}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('sockets per user', () => {
  it('are capped across router replicas (4429 with a reason); a closed socket frees its slot; other users are unaffected', async () => {
    const user = await registerUser();
    const other = await registerUser();
    const first = open(stack.routerUrl, user.accessToken);
    expect(await first.outcome).toEqual({ acked: true });
    const second = open(replica.graphqlUrl, user.accessToken);
    expect(await second.outcome).toEqual({ acked: true });
    // A third, on either replica, is one too many.
    const third = open(stack.routerUrl, user.accessToken);
    expect(await third.outcome).toEqual({ acked: false, code: 4429, reason: 'Too many requests: at most 2 open connections per user' });
    const fourth = open(replica.graphqlUrl, user.accessToken);
    expect(await fourth.outcome).toMatchObject({ acked: false, code: 4429 });
    const others = open(replica.graphqlUrl, other.accessToken);
    expect(await others.outcome).toEqual({ acked: true });

    await closeAll([first.socket]);
    const again = await eventuallyAcked(replica.graphqlUrl, user.accessToken);
    await closeAll([again, second.socket, others.socket]);
  });
});

describe('sockets per client address', () => {
  let capped: RunningRouter;
  beforeAll(async () => {
    // Its own key prefix, so the other tests' sockets do not count here.
    capped = await startRouter({ ...stack.env, REDIS_KEY_PREFIX: `${stack.env.REDIS_KEY_PREFIX}ipcap:`, WS_MAX_SOCKETS_PER_IP: '3' });
  });
  afterAll(async () => {
    await capped?.stop();
  });

  it('caps every socket from one address, signed in or not; behind a trusted proxy the forwarded address counts', async () => {
    const users = await Promise.all([registerUser(), registerUser(), registerUser()]);
    const held = users.map((u) => open(capped.graphqlUrl, u.accessToken));
    for (const h of held) expect(await h.outcome).toEqual({ acked: true });
    // A fourth socket from 127.0.0.1 is closed before it can sign in, whoever it would be.
    const anonymous = new WebSocket(capped.graphqlUrl.replace(/^http/, 'ws'), 'graphql-transport-ws');
    const closed = await new Promise<{ code: number; reason: string }>((resolve) => anonymous.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    expect(closed).toEqual({ code: 4429, reason: 'Too many requests: at most 3 open connections from one address' });
    expect(await open(capped.graphqlUrl, users[0]!.accessToken).outcome).toMatchObject({ acked: false, code: 4429 });
    // Through a proxy on loopback (trusted by default), the client's own address is what counts.
    const proxied = open(capped.graphqlUrl, users[0]!.accessToken, { 'x-forwarded-for': '203.0.113.7' });
    expect(await proxied.outcome).toEqual({ acked: true });
    await closeAll([...held.map((h) => h.socket), proxied.socket]);
  });
});

describe('subscribe messages per socket', () => {
  it('past the rate, a subscribe is answered RATE_LIMITED with retryAfter, and the socket stays open', async () => {
    const user = await registerUser();
    // One socket for all of them (a lazy client would open a new one per subscription).
    const connect = () => createClient({ url: stack.routerUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: false, connectionParams: { authorization: `Bearer ${user.accessToken}` } });
    const client = connect();
    let closedWith: number | undefined;
    client.on('closed', (event) => (closedWith = (event as { code: number }).code));
    const STREAM = `subscription($m: ID!) { tutorAnswer(messageId: $m) { seq } }`;
    const vars = { m: '00000000-0000-4000-8000-000000000000' };
    try {
      for (let i = 0; i < 3; i++) {
        const results = await collect(client, STREAM, vars);
        expect(results[0]!.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      }
      for (let i = 0; i < 2; i++) {
        const refused = await collect(client, STREAM, vars).then(
          () => null,
          (errors: unknown) => errors as { message: string; extensions: { code: string; retryAfter: number } }[],
        );
        expect(refused?.[0]?.extensions.code).toBe('RATE_LIMITED');
        expect(refused![0]!.extensions.retryAfter).toBeGreaterThanOrEqual(1);
        expect(refused![0]!.extensions.retryAfter).toBeLessThanOrEqual(60);
        expect(refused![0]!.message).toMatch(/At most 3 subscriptions may be started per minute/);
      }
      expect(closedWith).toBeUndefined();
      // The limit is the socket's: a new connection of the same user subscribes at once.
      const fresh = connect();
      try {
        expect((await collect(fresh, STREAM, vars))[0]!.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      } finally {
        await fresh.dispose();
      }
    } finally {
      await client.dispose();
    }
  });
});
