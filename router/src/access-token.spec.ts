// Access-token checks: a token's signature check is remembered until the token expires, and never
// stands in for anything else (another token, an expired one, the revocation check).
import { describe, expect, it } from '@jest/globals';
import { generateKeyPair, SignJWT, type JWTVerifyGetKey } from 'jose';
import { AccessTokenVerifier, InvalidTokenError } from './access-token.ts';

const { privateKey, publicKey } = await generateKeyPair('EdDSA');
const issuer = 'https://auth.test';
const audience = 'ai-teacher';

function verifier() {
  let keyLookups = 0;
  const keys: JWTVerifyGetKey = async () => {
    keyLookups++;
    return publicKey;
  };
  return { verifier: new AccessTokenVerifier({ jwksUrl: 'http://unused.test/jwks', issuer, audience, keys }), lookups: () => keyLookups };
}

const token = (claims: Record<string, unknown>, expiresIn: string | number = '15m') =>
  new SignJWT({ role: 'STUDENT', ...claims })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt' })
    .setSubject('u-1')
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(privateKey);

describe('access-token verification', () => {
  it('checks a token’s signature once, then remembers it for that exact token', async () => {
    const { verifier: v, lookups } = verifier();
    const t = await token({});
    expect(await v.verify(t)).toEqual({ userId: 'u-1', role: 'STUDENT' });
    expect(await v.verify(t)).toEqual({ userId: 'u-1', role: 'STUDENT' });
    expect(lookups()).toBe(1);
    expect(await v.verify(await token({ role: 'TEACHER' }))).toEqual({ userId: 'u-1', role: 'TEACHER' });
    expect(lookups()).toBe(2);
  });

  it('refuses a tampered token even after the genuine one was accepted', async () => {
    const { verifier: v } = verifier();
    const t = await token({});
    await v.verify(t);
    const [h, p, sig] = t.split('.');
    const forged = [h, Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), role: 'ADMIN' })).toString('base64url'), sig].join('.');
    await expect(v.verify(forged)).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('does not remember a token past its expiry', async () => {
    const { verifier: v, lookups } = verifier();
    const t = await token({}, Math.floor(Date.now() / 1000) + 1);
    await v.verify(t);
    await new Promise((r) => setTimeout(r, 1_100));
    // Checked again (the signature is fine; jose allows its 5 s of clock tolerance, then refuses).
    await v.verify(t).catch(() => undefined);
    expect(lookups()).toBe(2);
  });
});
