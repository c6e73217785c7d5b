import { createHash } from 'node:crypto';
import { describe, expect, it, jest } from '@jest/globals';
import type { ProofTarget } from './identity.ts';

// timingSafeEqual, watched: MACs must be compared in constant time.
const realCrypto = await import('node:crypto');
const timingSafeEqual = jest.fn(realCrypto.timingSafeEqual);
jest.unstable_mockModule('node:crypto', () => ({ ...realCrypto, timingSafeEqual }));
const { IdentityProofError, IdentitySigner } = await import('./identity.ts');

const signer = new IdentitySigner('s'.repeat(40));
const fwd = { identity: { userId: 'u-1', role: 'TEACHER' as const }, requestId: 'req-1', clientIp: '203.0.113.5' };
const QUERY = '{ me { id email } }';
const target: ProofTarget = { subgraph: 'auth', query: QUERY };
const getter = (h: Record<string, string>) => (name: string) => h[name];
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(IdentityProofError);
    return (err as Error).message;
  }
  throw new Error('expected an IdentityProofError');
};

describe('IdentitySigner', () => {
  it('round-trips the identity, request id and client address for the subgraph and query it was signed for', () => {
    const headers = signer.headers(fwd, target);
    expect(signer.verify(getter(headers), target)).toEqual(fwd);
  });

  it('signs anonymous requests too (request id and address only), and they verify as anonymous', () => {
    const headers = signer.headers({ ...fwd, identity: null }, target);
    expect(headers['x-user-id']).toBeUndefined();
    expect(headers['x-user-role']).toBeUndefined();
    expect(signer.verify(getter(headers), target)).toEqual({ ...fwd, identity: null });
  });

  it('refuses a request without any proof, anonymous or not', () => {
    expect(refusal(() => signer.verify(getter({}), target))).toMatch(/missing/);
    expect(refusal(() => signer.verify(getter({ 'x-request-id': 'r', 'x-client-ip': '1.2.3.4' }), target))).toMatch(/missing/);
    expect(refusal(() => signer.verify(getter({ 'x-user-id': 'u-1', 'x-user-role': 'ADMIN' }), target))).toMatch(/missing/);
  });

  it('binds the proof to the subgraph it is sent to', () => {
    const headers = signer.headers(fwd, { subgraph: 'academic', query: QUERY });
    expect(signer.verify(getter(headers), { subgraph: 'academic', query: QUERY })).toEqual(fwd);
    expect(refusal(() => signer.verify(getter(headers), { subgraph: 'auth', query: QUERY }))).toMatch(/does not match this subgraph/);
  });

  it('binds the proof to the exact query text: another operation, or the same one respaced, is refused', () => {
    const headers = signer.headers(fwd, target);
    expect(refusal(() => signer.verify(getter(headers), { subgraph: 'auth', query: '{ _entities(representations: []) { __typename } }' }))).toMatch(/another operation/);
    expect(refusal(() => signer.verify(getter(headers), { subgraph: 'auth', query: `${QUERY} ` }))).toMatch(/another operation/);
    // Two-phase use (headers before the body is read, then the body's query): the same outcome.
    const proven = signer.verifyHeaders(getter(headers), 'auth');
    expect(proven.queryHash).toBe(createHash('sha256').update(QUERY).digest('base64url'));
    expect(() => signer.checkQuery(proven, QUERY)).not.toThrow();
    expect(refusal(() => signer.checkQuery(proven, '{ me { id } }'))).toMatch(/another operation/);
    expect(refusal(() => signer.checkQuery(proven, undefined))).toMatch(/no query text/);
  });

  it('refuses a query hash swapped in the header (the MAC covers it)', () => {
    const headers = signer.headers(fwd, target);
    const other = signer.headers(fwd, { subgraph: 'auth', query: '{ me { id } }' });
    const [v, exp, , mac] = headers['x-identity-proof']!.split('.');
    const swapped = `${v}.${exp}.${other['x-identity-proof']!.split('.')[2]}.${mac}`;
    expect(refusal(() => signer.verifyHeaders(getter({ ...headers, 'x-identity-proof': swapped }), 'auth'))).toMatch(/does not match/);
  });

  it('expires after its short TTL (with a few seconds of clock skew), and refuses one that lives too long', () => {
    const signedAt = Date.UTC(2030, 0, 1);
    const headers = signer.headers(fwd, target, signedAt);
    expect(signer.verify(getter(headers), target, signedAt + 60_000)).toEqual(fwd);
    expect(signer.verify(getter(headers), target, signedAt + 64_000)).toEqual(fwd);
    expect(refusal(() => signer.verify(getter(headers), target, signedAt + 67_000))).toMatch(/expired/);
    // Signed "in the future": never longer than the TTL; and the expiry is under the MAC.
    expect(refusal(() => signer.verify(getter(headers), target, signedAt - 10_000))).toMatch(/longer than allowed/);
    const [v, exp, qh, mac] = headers['x-identity-proof']!.split('.');
    expect(refusal(() => signer.verify(getter({ ...headers, 'x-identity-proof': `${v}.${Number(exp) + 3}.${qh}.${mac}` }), target, signedAt))).toMatch(/does not match/);
  });

  it.each(['x-user-id', 'x-user-role', 'x-client-ip', 'x-request-id'])('refuses a changed %s', (name) => {
    const headers = signer.headers(fwd, target);
    expect(() => signer.verify(getter({ ...headers, [name]: name === 'x-user-role' ? 'ADMIN' : 'other' }), target)).toThrow(IdentityProofError);
  });

  it.each(['x-user-id', 'x-user-role', 'x-client-ip', 'x-request-id'])('refuses a removed %s', (name) => {
    const headers = signer.headers(fwd, target);
    const { [name]: _removed, ...rest } = headers;
    expect(() => signer.verify(getter(rest), target)).toThrow(IdentityProofError);
  });

  it('refuses identity headers added to an anonymous proof', () => {
    const headers = signer.headers({ ...fwd, identity: null }, target);
    expect(() => signer.verify(getter({ ...headers, 'x-user-id': 'u-1', 'x-user-role': 'ADMIN' }), target)).toThrow(IdentityProofError);
  });

  it('refuses proofs from another secret, and malformed or tampered proofs', () => {
    const other = new IdentitySigner('o'.repeat(40)).headers(fwd, target);
    expect(refusal(() => signer.verify(getter(other), target))).toMatch(/does not match/);
    const headers = signer.headers(fwd, target);
    const proof = headers['x-identity-proof']!;
    const flipped = proof.slice(0, -2) + (proof.at(-2) === 'A' ? 'B' : 'A') + proof.at(-1);
    for (const bad of ['forged', `v2${proof.slice(2)}`, `${proof}.x`, proof.slice(0, -1), flipped]) {
      expect(() => signer.verify(getter({ ...headers, 'x-identity-proof': bad }), target)).toThrow(IdentityProofError);
    }
  });

  it('compares MACs in constant time', () => {
    const headers = signer.headers(fwd, target);
    timingSafeEqual.mockClear();
    signer.verify(getter(headers), target);
    const [v, exp, qh] = headers['x-identity-proof']!.split('.');
    expect(() => signer.verify(getter({ ...headers, 'x-identity-proof': `${v}.${exp}.${qh}.${'A'.repeat(43)}` }), target)).toThrow(IdentityProofError);
    expect(timingSafeEqual).toHaveBeenCalledTimes(2);
    for (const [a, b] of timingSafeEqual.mock.calls) expect([(a as Buffer).length, (b as Buffer).length]).toEqual([32, 32]);
  });

  it('remembers query hashes in a bounded cache', () => {
    const s = new IdentitySigner('s'.repeat(40));
    const hashes = (s as unknown as { hashes: Map<string, string> }).hashes;
    for (let i = 0; i < 1_500; i++) s.queryHash(`{ q${i} }`);
    expect(hashes.size).toBe(1_000);
    expect(s.queryHash('{ q1499 }')).toBe(createHash('sha256').update('{ q1499 }').digest('base64url'));
    expect(hashes.has('{ q0 }')).toBe(false);
    s.queryHash('x'.repeat(10_000)); // long texts are hashed, not kept
    expect(hashes.has('x'.repeat(10_000))).toBe(false);
  });
});
