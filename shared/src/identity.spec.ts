import { describe, expect, it } from '@jest/globals';
import { IdentityProofError, IdentitySigner } from './identity.ts';

const signer = new IdentitySigner('s'.repeat(40));
const fwd = { identity: { userId: 'u-1', role: 'TEACHER' as const }, requestId: 'req-1', clientIp: '203.0.113.5' };
const getter = (h: Record<string, string>) => (name: string) => h[name];

describe('IdentitySigner', () => {
  it('round-trips the identity, request id and client address', async () => {
    const headers = await signer.headers(fwd);
    expect(await signer.verify(getter(headers))).toEqual(fwd);
  });

  it('signs anonymous requests too (request id and address only)', async () => {
    const headers = await signer.headers({ ...fwd, identity: null });
    expect(headers['x-user-id']).toBeUndefined();
    expect(await signer.verify(getter(headers))).toEqual({ ...fwd, identity: null });
  });

  it('treats a request without any identity header as anonymous and unproven', async () => {
    expect(await signer.verify(getter({}))).toBeNull();
  });

  it.each(['x-user-id', 'x-user-role', 'x-client-ip', 'x-request-id'])('rejects a changed %s', async (name) => {
    const headers = await signer.headers(fwd);
    await expect(signer.verify(getter({ ...headers, [name]: 'ADMIN' }))).rejects.toBeInstanceOf(IdentityProofError);
  });

  it('rejects identity headers without a proof, and proofs from another secret', async () => {
    await expect(signer.verify(getter({ 'x-user-id': 'u-1', 'x-user-role': 'ADMIN' }))).rejects.toThrow(IdentityProofError);
    const other = await new IdentitySigner('o'.repeat(40)).headers(fwd);
    await expect(signer.verify(getter(other))).rejects.toThrow(IdentityProofError);
  });
});
