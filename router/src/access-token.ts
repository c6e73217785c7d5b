import { accessTokenRevoked, type Identity, isRole, type Redis } from '@ai-teacher/shared/core';
import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';

/** Only asymmetric algorithms: a token signed with `none` or an HMAC key is refused outright. */
export const ACCEPTED_ALGORITHMS = ['EdDSA', 'ES256'];

/** The compact JWT in an `Authorization: Bearer <token>` value, or null when the value is not one. */
export function bearerToken(value: string): string | null {
  const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/.exec(value.trim());
  return match?.[1] ?? null;
}

export class InvalidTokenError extends Error {}
export class KeysUnavailableError extends Error {}
/** Redis, where revocations are kept, does not answer: tokens cannot be checked, so none is accepted. */
export class RevocationUnavailableError extends Error {}
/** A valid token that auth has revoked: the user's role changed (refresh) or the sign-in ended. */
export class RevokedTokenError extends Error {
  readonly reason: 'role-changed' | 'signed-out';
  constructor(reason: 'role-changed' | 'signed-out') {
    super(`access token revoked (${reason})`);
    this.reason = reason;
  }
}

/** Tokens whose signature check is remembered (the oldest forgotten first). */
const VERIFIED_TOKENS_MAX = 10_000;

interface VerifiedClaims {
  sub: string;
  role: Identity['role'];
  sid: unknown;
  ver: unknown;
  /** Expiry, Unix seconds. */
  exp: number;
}

/** Verifies access tokens against the auth subgraph's JWKS (fetched lazily, cached, refetched on unknown `kid`). */
export class AccessTokenVerifier {
  private readonly keys: JWTVerifyGetKey;
  private readonly issuer: string;
  private readonly audience: string;
  private readonly redis: Redis | undefined;
  private readonly verified = new Map<string, VerifiedClaims>();

  /** `redis`: where auth writes revocations (same REDIS_URL and REDIS_KEY_PREFIX). */
  constructor(opts: { jwksUrl: string; issuer: string; audience: string; keys?: JWTVerifyGetKey; redis?: Redis }) {
    this.redis = opts.redis;
    this.keys = opts.keys ?? createRemoteJWKSet(new URL(opts.jwksUrl), { timeoutDuration: 5_000, cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 });
    this.issuer = opts.issuer;
    this.audience = opts.audience;
  }

  async verify(token: string): Promise<Identity> {
    const payload = await this.verifiedClaims(token);
    if (this.redis) {
      let revoked: Awaited<ReturnType<typeof accessTokenRevoked>>;
      try {
        revoked = await accessTokenRevoked(this.redis, { sub: payload.sub, sid: payload.sid, ver: payload.ver });
      } catch {
        throw new RevocationUnavailableError('revocation list unavailable');
      }
      if (revoked) throw new RevokedTokenError(revoked);
    }
    return { userId: payload.sub, role: payload.role };
  }

  /**
   * The token's claims once its signature and claims are checked. A client sends the same token
   * with every request until it expires: the outcome of checking its signature is kept (by the
   * token's exact text, until its `exp`), since signature checks were the largest part of the
   * router's work per request on small queries. Revocation is not kept: verify() asks Redis every time.
   */
  private async verifiedClaims(token: string): Promise<VerifiedClaims> {
    const known = this.verified.get(token);
    if (known) {
      if (known.exp * 1000 > Date.now()) return known;
      this.verified.delete(token);
    }
    const claims = await this.checkSignature(token);
    if (this.verified.size >= VERIFIED_TOKENS_MAX) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, claims);
    return claims;
  }

  private async checkSignature(token: string): Promise<VerifiedClaims> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        algorithms: ACCEPTED_ALGORITHMS,
        issuer: this.issuer,
        audience: this.audience,
        typ: 'at+jwt',
        requiredClaims: ['sub', 'exp', 'iat'],
        clockTolerance: 5,
      }));
    } catch (err) {
      if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid || isFetchFailure(err)) {
        throw new KeysUnavailableError('signing keys unavailable');
      }
      throw new InvalidTokenError(err instanceof Error ? err.message : 'invalid token');
    }
    if (typeof payload.sub !== 'string' || !isRole(payload.role)) throw new InvalidTokenError('token lacks subject or role');
    return { sub: payload.sub, role: payload.role, sid: payload.sid, ver: payload.ver, exp: payload.exp! };
  }
}

function isFetchFailure(err: unknown): boolean {
  return err instanceof TypeError && /fetch failed/i.test(err.message);
}
