// The router's trust boundary: tampered tokens are refused (never downgraded to anonymous), subgraphs
// refuse identity the router did not sign, CSRF prevention, and production hardening.
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Identity, IdentitySigner } from '@ai-teacher/shared';
import { errorCode, gql, signedHeaders } from '@ai-teacher/shared/testing';
import { serverAudits } from 'graphql-http';
import { decodeProtectedHeader, SignJWT } from 'jose';
import { ME, registerUser, startStack, type Stack } from '../support/stack.ts';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const parts = (jwt: string) => jwt.split('.') as [string, string, string];
const payloadOf = (jwt: string) => JSON.parse(Buffer.from(parts(jwt)[1], 'base64url').toString()) as Record<string, unknown>;

let stack: Stack;
let student: Awaited<ReturnType<typeof registerUser>>;

beforeAll(async () => {
  stack = await startStack();
  student = await registerUser(stack);
});
afterAll(async () => {
  await stack?.stop();
});

function authPrivateKey() {
  return createPrivateKey(readFileSync(join(stack.env.DATA_DIR!, 'secrets', 'jwt-private-key.pem'), 'utf8'));
}

async function signWithAuthKey(claims: Record<string, unknown>, opts: { exp?: number; iss?: string; aud?: string; typ?: string } = {}) {
  const kid = decodeProtectedHeader(student.accessToken).kid!;
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ role: 'STUDENT', ...claims })
    .setProtectedHeader({ alg: 'EdDSA', kid, typ: opts.typ ?? 'at+jwt' })
    .setSubject(student.user.id)
    .setIssuer(opts.iss ?? 'urn:ai-teacher:auth')
    .setAudience(opts.aud ?? 'urn:ai-teacher:api')
    .setIssuedAt(now - 60)
    .setExpirationTime(opts.exp ?? now + 600)
    .sign(authPrivateKey());
}

async function expectRefused(token: string) {
  const res = await gql(stack.routerUrl, ME, {}, { token });
  expect(res.status).toBe(401);
  expect(errorCode(res)).toBe('UNAUTHENTICATED');
  expect(res.data ?? null).toBeNull(); // not answered as an anonymous `me: null`
}

describe('access tokens presented to the router', () => {
  it('a genuine token is accepted (control)', async () => {
    const res = await gql(stack.routerUrl, ME, {}, { token: student.accessToken });
    expect(res.data!.me.id).toBe(student.user.id);
    expect(await signWithAuthKey({}).then((t) => gql(stack.routerUrl, ME, {}, { token: t }))).toMatchObject({ status: 200 });
  });

  it('refuses alg "none"', async () => {
    const [, payload] = parts(student.accessToken);
    await expectRefused(`${b64({ alg: 'none', typ: 'at+jwt' })}.${payload}.`);
  });

  it('refuses an edited payload (role raised to ADMIN)', async () => {
    const [header, , sig] = parts(student.accessToken);
    await expectRefused(`${header}.${b64({ ...payloadOf(student.accessToken), role: 'ADMIN' })}.${sig}`);
  });

  it('refuses an edited expiry', async () => {
    const [header, , sig] = parts(student.accessToken);
    await expectRefused(`${header}.${b64({ ...payloadOf(student.accessToken), exp: 4_000_000_000 })}.${sig}`);
  });

  it('refuses an expired token signed with the real key', async () => {
    await expectRefused(await signWithAuthKey({}, { exp: Math.floor(Date.now() / 1000) - 30 }));
  });

  it('refuses the wrong issuer, audience or token type', async () => {
    await expectRefused(await signWithAuthKey({}, { iss: 'https://evil.example' }));
    await expectRefused(await signWithAuthKey({}, { aud: 'another-api' }));
    await expectRefused(await signWithAuthKey({}, { typ: 'JWT' }));
  });

  it('refuses a token signed by another key under the same kid', async () => {
    const kid = decodeProtectedHeader(student.accessToken).kid!;
    const { privateKey } = generateKeyPairSync('ed25519');
    const forged = await new SignJWT({ role: 'ADMIN' })
      .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'at+jwt' })
      .setSubject(student.user.id)
      .setIssuer('urn:ai-teacher:auth')
      .setAudience('urn:ai-teacher:api')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
    await expectRefused(forged);
  });

  it('refuses an HMAC token keyed with the public key (algorithm confusion)', async () => {
    const jwks = (await (await fetch(`${stack.auth.url}/.well-known/jwks.json`)).json()) as { keys: { x: string }[] };
    const forged = await new SignJWT({ role: 'ADMIN' })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .setSubject(student.user.id)
      .setIssuer('urn:ai-teacher:auth')
      .setAudience('urn:ai-teacher:api')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(jwks.keys[0]!.x));
    await expectRefused(forged);
  });

  it('refuses garbage and non-Bearer authorization headers', async () => {
    await expectRefused('not-a-jwt');
    const res = await gql(stack.routerUrl, ME, {}, { headers: { authorization: `Token ${student.accessToken}` } });
    expect(res.status).toBe(401);
    expect(errorCode(res)).toBe('UNAUTHENTICATED');
  });
});

describe('calls sent straight to a subgraph', () => {
  const forgedHeaders = () => ({ 'x-user-id': student.user.id, 'x-user-role': 'ADMIN' });
  const asStudent = () => ({ userId: student.user.id, role: 'STUDENT' as const });
  /** A proof as the router mints it for auth and the ME query. */
  const proof = (secret = stack.identitySecret, identity: Identity | null = asStudent()) => signedHeaders(secret, identity, { subgraph: 'auth', query: ME }, { clientIp: '10.0.0.1' });

  it('are refused with HTTP 401 without proof', async () => {
    const res = await gql(stack.authUrl, ME, {}, { headers: forgedHeaders() });
    expect(res.status).toBe(401);
    expect(errorCode(res)).toBe('UNAUTHENTICATED');
  });

  it('are refused with a proof signed by another secret, or by the service secret', async () => {
    expect((await gql(stack.authUrl, ME, {}, { headers: proof('x'.repeat(40)) })).status).toBe(401);
    expect((await gql(stack.authUrl, ME, {}, { headers: proof(stack.serviceSecret) })).status).toBe(401);
  });

  it('are refused when a header was changed after signing', async () => {
    const headers = proof();
    expect((await gql(stack.authUrl, ME, {}, { headers: { ...headers, 'x-user-role': 'ADMIN' } })).status).toBe(401);
    expect((await gql(stack.authUrl, ME, {}, { headers: { ...headers, 'x-client-ip': '10.9.9.9' } })).status).toBe(401);
  });

  it('are refused when the proof is stale (a replayed capture)', async () => {
    const old = new IdentitySigner(stack.identitySecret).headers({ identity: asStudent(), requestId: 'r3', clientIp: '10.0.0.1' }, { subgraph: 'auth', query: ME }, Date.now() - 600_000);
    const res = await gql(stack.authUrl, ME, {}, { headers: old });
    expect(res.status).toBe(401);
    expect(res.errors![0]!.message).toMatch(/expired/);
  });

  it('are refused when the proof was minted for another subgraph or another operation', async () => {
    const forAcademic = signedHeaders(stack.identitySecret, asStudent(), { subgraph: 'academic', query: ME });
    expect((await gql(stack.authUrl, ME, {}, { headers: forAcademic })).status).toBe(401);
    const forOther = signedHeaders(stack.identitySecret, asStudent(), { subgraph: 'auth', query: '{ me { id role } }' });
    expect((await gql(stack.authUrl, ME, {}, { headers: forOther })).status).toBe(401);
  });

  it('are accepted with a fresh proof from the router secret (control); anonymous calls need a proof too', async () => {
    expect((await gql(stack.authUrl, ME, {}, { headers: proof() })).data!.me.id).toBe(student.user.id);
    const unproven = await gql(stack.authUrl, ME);
    expect(unproven.status).toBe(401);
    expect(errorCode(unproven)).toBe('UNAUTHENTICATED');
    const anonymous = await gql(stack.authUrl, ME, {}, { headers: proof(stack.identitySecret, null) });
    expect(anonymous.status).toBe(200);
    expect(anonymous.data!.me).toBeNull();
  });
});

describe('HTTP behaviour of the router', () => {
  it('blocks CSRF-able requests: a plain GET and a text/plain POST', async () => {
    const get = await fetch(`${stack.routerUrl}?query=${encodeURIComponent('{ me { id } }')}`);
    expect(get.status).toBe(400);
    const post = await fetch(stack.routerUrl, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ query: '{ me { id } }' }) });
    expect(post.status).toBe(400);
  });

  it('echoes a sane x-request-id and replaces a hostile one', async () => {
    const kept = await gql(stack.routerUrl, ME, {}, { headers: { 'x-request-id': 'client-abc-123' } });
    expect(kept.headers.get('x-request-id')).toBe('client-abc-123');
    const replaced = await gql(stack.routerUrl, ME, {}, { headers: { 'x-request-id': 'bad id\twith spaces' } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves Apollo Sandbox and introspection in development', async () => {
    const page = await (await fetch(stack.routerUrl, { headers: { accept: 'text/html' } })).text();
    expect(page).toContain('embeddable-sandbox');
    const res = await gql(stack.routerUrl, '{ __schema { queryType { name } } }');
    expect(res.data!.__schema.queryType.name).toBe('Query');
  });

  it('reuses keep-alive connections to subgraphs', async () => {
    let opened = 0;
    const count = () => opened++;
    stack.auth.httpServer.on('connection', count);
    try {
      for (let i = 0; i < 20; i++) await gql(stack.routerUrl, ME, {}, { token: student.accessToken });
    } finally {
      stack.auth.httpServer.off('connection', count);
    }
    expect(opened).toBeLessThanOrEqual(1);
  });

  it('exposes health, readiness and Prometheus metrics', async () => {
    expect((await fetch(`${stack.router.url}/health`)).status).toBe(200);
    expect((await fetch(`${stack.auth.url}/ready`)).status).toBe(200);
    const metrics = await (await fetch(stack.router.metricsUrl)).text();
    // Not on the public port.
    expect((await fetch(`${stack.router.url}/metrics`)).status).toBe(404);
    expect(metrics).toMatch(/graphql_operations_total\{[^}]*operation="Me"/);
  });

  it('passes the GraphQL-over-HTTP server audits (no audit ends in error)', async () => {
    const results = await Promise.all(serverAudits({ url: stack.routerUrl }).map(async (audit) => ({ audit: audit.name, ...(await audit.fn()) })));
    expect(results.filter((r) => r.status === 'error').map((r) => `${r.audit}: ${'reason' in r ? r.reason : ''}`)).toEqual([]);
    expect(results.length).toBeGreaterThan(20);
  });
});

describe('production mode', () => {
  let prod: Stack;
  beforeAll(async () => {
    prod = await startStack({ routerEnv: { NODE_ENV: 'production' } });
  });
  afterAll(async () => {
    await prod?.stop();
  });

  it('has no landing page, no introspection and no field suggestions', async () => {
    const page = await fetch(prod.routerUrl, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toContain('sandbox');
    const introspection = await prod.query('{ __schema { queryType { name } } }');
    expect(introspection.data ?? null).toBeNull();
    expect(errorCode(introspection)).toBe('GRAPHQL_VALIDATION_FAILED');
    const typo = await prod.query('{ mee { id } }');
    expect(typo.errors![0]!.message).not.toMatch(/Did you mean/);
    const dev = await stack.query('{ mee { id } }');
    expect(dev.errors![0]!.message).toMatch(/Did you mean "me"/);
  });

  it('still serves ordinary operations', async () => {
    const user = await registerUser(prod);
    expect((await prod.query(ME, {}, user.accessToken)).data!.me.id).toBe(user.user.id);
  });
});
