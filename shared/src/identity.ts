import { jwtVerify, SignJWT } from 'jose';

/** The roles a user can have (the schema's `Role` enum). */
export const ROLES = ['STUDENT', 'TEACHER', 'ADMIN'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** The caller, as verified by the router. */
export interface Identity {
  userId: string;
  role: Role;
}

export const IDENTITY_HEADERS = {
  userId: 'x-user-id',
  role: 'x-user-role',
  requestId: 'x-request-id',
  clientIp: 'x-client-ip',
  proof: 'x-identity-proof',
} as const;

const ISSUER = 'ai-teacher-router';
const AUDIENCE = 'ai-teacher-subgraphs';
const PROOF_TTL_SECONDS = 60;

export interface ForwardedIdentity {
  identity: Identity | null;
  requestId: string;
  clientIp: string;
}

/**
 * Proof that the router, and nobody else on the subgraph network, sent these identity headers: a
 * short-lived HS256 token over exactly the forwarded values. Subgraphs refuse identity headers
 * without it, so reaching a subgraph's port is not enough to act as somebody.
 */
export class IdentitySigner {
  private readonly key: Uint8Array;
  constructor(secret: string) {
    this.key = new TextEncoder().encode(secret);
  }

  async headers(fwd: ForwardedIdentity): Promise<Record<string, string>> {
    const claims: Record<string, string> = { rid: fwd.requestId, ip: fwd.clientIp };
    const out: Record<string, string> = {
      [IDENTITY_HEADERS.requestId]: fwd.requestId,
      [IDENTITY_HEADERS.clientIp]: fwd.clientIp,
    };
    if (fwd.identity) {
      claims.role = fwd.identity.role;
      out[IDENTITY_HEADERS.userId] = fwd.identity.userId;
      out[IDENTITY_HEADERS.role] = fwd.identity.role;
    }
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${PROOF_TTL_SECONDS}s`);
    if (fwd.identity) jwt.setSubject(fwd.identity.userId);
    out[IDENTITY_HEADERS.proof] = await jwt.sign(this.key);
    return out;
  }

  /**
   * Reads forwarded identity from request headers. Returns null when the request carries no
   * identity headers at all (an anonymous direct call); throws when any identity header is present
   * without a valid proof that matches it.
   */
  async verify(get: (name: string) => string | undefined): Promise<ForwardedIdentity | null> {
    const userId = get(IDENTITY_HEADERS.userId);
    const role = get(IDENTITY_HEADERS.role);
    const clientIp = get(IDENTITY_HEADERS.clientIp);
    const proof = get(IDENTITY_HEADERS.proof);
    if (!proof) {
      if (userId !== undefined || role !== undefined || clientIp !== undefined) {
        throw new IdentityProofError('identity headers without proof');
      }
      return null;
    }
    let payload;
    try {
      ({ payload } = await jwtVerify(proof, this.key, {
        algorithms: ['HS256'],
        issuer: ISSUER,
        audience: AUDIENCE,
        maxTokenAge: `${PROOF_TTL_SECONDS + 5}s`,
      }));
    } catch {
      throw new IdentityProofError('invalid identity proof');
    }
    const claimedRole = payload.role;
    if (
      payload.sub !== userId ||
      claimedRole !== role ||
      payload.ip !== clientIp ||
      (get(IDENTITY_HEADERS.requestId) !== undefined && payload.rid !== get(IDENTITY_HEADERS.requestId))
    ) {
      throw new IdentityProofError('identity headers do not match their proof');
    }
    const identity = userId && isRole(claimedRole) ? { userId, role: claimedRole } : null;
    return { identity, requestId: String(payload.rid), clientIp: String(payload.ip) };
  }
}

export class IdentityProofError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IdentityProofError';
  }
}
