import type { Redis } from './redis.ts';

/**
 * Access-token revocation, written by auth as Redis keys that every token verifier (the router) reads with one MGET
 * per request. Keys carry the deployment's REDIS_KEY_PREFIX (the ioredis keyPrefix) and expire once
 * every access token they could refuse has expired anyway.
 *
 * - `token-ver:<userId>` = the lowest `ver` claim an access token of that user may carry. Raised on a
 *   role change, so tokens issued before it are refused and a refresh issues one with the new role.
 * - `token-sid-revoked:<sid>` exists while access tokens of that sign-in (`sid` claim: its refresh
 *   token family) must be refused: set by logout and by refresh-token reuse detection.
 *
 * Absent keys refuse nothing, so a verifier that finds none accepts the token (after its usual
 * signature, issuer, audience, type and expiry checks).
 */
export const revocationKeys = {
  tokenVersion: (userId: string) => `token-ver:${userId}`,
  revokedSession: (sessionId: string) => `token-sid-revoked:${sessionId}`,
};

/** Sets KEYS[1] to ARGV[1] unless it already holds a higher number, and (re)sets its expiry. */
const RAISE_SCRIPT = `
local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
local wanted = tonumber(ARGV[1])
if wanted > current then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return wanted
end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return current`;

/** Extra life of the keys beyond ACCESS_TOKEN_TTL: verifiers' clock tolerance and clock skew. */
export const REVOCATION_MARGIN_SECONDS = 60;

export class TokenRevocation {
  private readonly redis: Redis;
  private readonly ttl: number;
  constructor(redis: Redis, accessTokenTtlSeconds: number) {
    this.redis = redis;
    this.ttl = accessTokenTtlSeconds + REVOCATION_MARGIN_SECONDS;
  }

  /** Access tokens of this sign-in stop working. */
  async revokeSession(sessionId: string): Promise<void> {
    await this.redis.set(revocationKeys.revokedSession(sessionId), '1', 'EX', this.ttl);
  }

  /** Access tokens of this user with a `ver` below `version` stop working (never lowers it). */
  async requireTokenVersion(userId: string, version: number): Promise<void> {
    await this.redis.eval(RAISE_SCRIPT, 1, revocationKeys.tokenVersion(userId), String(version), String(this.ttl));
  }
}

/** The claims of a verified access token that revocation looks at. */
export interface RevocableClaims {
  sub: string;
  /** Session id: the refresh-token family the token was issued for. Absent in tokens issued before revocation existed. */
  sid?: unknown;
  /** The user's token version when the token was issued; absent counts as 0. */
  ver?: unknown;
}

/** Whether a verified access token has been revoked: the router's check after verifying a token. */
export async function accessTokenRevoked(redis: Redis, claims: RevocableClaims): Promise<'role-changed' | 'signed-out' | null> {
  const sid = typeof claims.sid === 'string' ? claims.sid : null;
  const keys = [revocationKeys.tokenVersion(claims.sub), ...(sid ? [revocationKeys.revokedSession(sid)] : [])];
  const [minVersion, sessionRevoked] = await redis.mget(...keys);
  if (sessionRevoked) return 'signed-out';
  const ver = typeof claims.ver === 'number' ? claims.ver : 0;
  if (minVersion !== null && minVersion !== undefined && ver < Number(minVersion)) return 'role-changed';
  return null;
}
