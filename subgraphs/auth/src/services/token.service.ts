import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { ConfigError, devSecret, type BaseConfig, type Role } from '@ai-teacher/shared';
import { calculateJwkThumbprint, exportJWK, SignJWT, type JWK } from 'jose';
import type { AuthConfig } from '../config.ts';

export interface AccessToken {
  token: string;
  expiresIn: number;
}

/**
 * Signs short-lived access tokens (RFC 9068 `at+jwt`) with an asymmetric key, so the router and any
 * other verifier only ever hold the public half, served as a JWKS.
 */
export class TokenService {
  private readonly privateKey: KeyObject;
  private readonly alg: 'EdDSA' | 'ES256';
  private readonly config: AuthConfig;
  private kid = '';
  private jwk: JWK = {};

  private constructor(config: AuthConfig, privateKey: KeyObject) {
    this.config = config;
    this.privateKey = privateKey;
    this.alg = algorithmOf(privateKey);
  }

  static async create(config: AuthConfig, base: BaseConfig): Promise<TokenService> {
    let pem = config.JWT_PRIVATE_KEY?.replace(/\\n/g, '\n');
    if (!pem) {
      if (base.NODE_ENV === 'production') {
        throw new ConfigError(['JWT_PRIVATE_KEY: required in production (PKCS#8 PEM, Ed25519 or P-256)']);
      }
      pem = devSecret(base.DATA_DIR, 'jwt-private-key.pem', () =>
        generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      );
    }
    let key: KeyObject;
    try {
      key = createPrivateKey(pem);
    } catch {
      throw new ConfigError(['JWT_PRIVATE_KEY: not a readable PKCS#8 PEM private key']);
    }
    const service = new TokenService(config, key);
    const publicJwk = await exportJWK(createPublicKey(key));
    service.kid = await calculateJwkThumbprint(publicJwk);
    service.jwk = { ...publicJwk, kid: service.kid, alg: service.alg, use: 'sig' };
    return service;
  }

  jwks(): { keys: JWK[] } {
    return { keys: [this.jwk] };
  }

  /**
   * `sid` is the sign-in (refresh-token family) the token belongs to and `ver` the user's token
   * version: a verifier refuses the token once that sign-in ends or the version is raised (see
   * shared/src/token-revocation.ts).
   */
  async signAccessToken(user: { id: string; role: Role; tokenVersion: number }, sessionId: string): Promise<AccessToken> {
    const ttl = this.config.ACCESS_TOKEN_TTL;
    const token = await new SignJWT({ role: user.role, sid: sessionId, ver: user.tokenVersion })
      .setProtectedHeader({ alg: this.alg, kid: this.kid, typ: 'at+jwt' })
      .setSubject(user.id)
      .setIssuer(this.config.JWT_ISSUER)
      .setAudience(this.config.JWT_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${ttl}s`)
      .setJti(randomUUID())
      .sign(this.privateKey);
    return { token, expiresIn: ttl };
  }
}

function algorithmOf(key: KeyObject): 'EdDSA' | 'ES256' {
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  throw new ConfigError(['JWT_PRIVATE_KEY: must be an Ed25519 or P-256 private key']);
}

/** Opaque refresh token: 256 random bits. Only its SHA-256 is stored. */
export function newRefreshToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
