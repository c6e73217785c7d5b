import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

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

const PROOF_VERSION = 'v1';
const PROOF_TTL_SECONDS = 60;
/** Clock difference tolerated between the router and a subgraph. */
const CLOCK_SKEW_SECONDS = 5;
/** Query hashes the signer remembers (a query plan sends the same subgraph queries again and again). */
const QUERY_HASH_CACHE_SIZE = 1_000;
/** Longer queries are hashed every time rather than kept in memory. */
const QUERY_HASH_CACHE_MAX_LENGTH = 8_192;
const B64URL_SHA256 = /^[A-Za-z0-9_-]{43}$/;

export interface ForwardedIdentity {
  identity: Identity | null;
  requestId: string;
  clientIp: string;
}

/** What a proof is bound to besides the caller: the subgraph it is sent to and the exact operation. */
export interface ProofTarget {
  /** The subgraph's name (supergraph.yaml; its service definition's `name`). */
  subgraph: string;
  /** The GraphQL `query` string of this one fetch, exactly as sent. */
  query: string;
}

/** A proof whose MAC, expiry and headers checked out; its query binding is checked once the body is read. */
export interface ProvenHeaders {
  forwarded: ForwardedIdentity;
  /** base64url SHA-256 of the query the router signed for. */
  queryHash: string;
}

/**
 * Proof that the router, and nobody else on the subgraph network, sent a request: every subgraph
 * request (anonymous callers included) carries one, and a subgraph refuses any request without a
 * valid proof for itself and for the operation in the body.
 *
 * Headers: `x-request-id`, `x-client-ip`, `x-user-id` and `x-user-role` (both absent when
 * anonymous), and
 *
 *     x-identity-proof: v1.<exp>.<qh>.<mac>
 *
 *   exp  expiry, Unix seconds (signing time + 60 s)
 *   qh   base64url(SHA-256(query)): the exact GraphQL `query` string of this fetch
 *   mac  base64url(HMAC-SHA256(IDENTITY_SECRET, canonical)), where canonical is the JSON array
 *        ["v1", subgraph, qh, requestId, userId | null, role | null, clientIp, exp]
 *
 * The subgraph's name is not sent: each subgraph puts its own name into the canonical string, so a
 * proof minted for one subgraph fails at every other. The query hash travels in the header so the
 * MAC can be checked before the body is read (a caller without a proof sends no upload); once the
 * body is parsed, the subgraph hashes the query it actually received (JSON `query`, a multipart
 * request's `operations.query`, a graphql-ws subscribe payload's `query`) and refuses a mismatch,
 * so a captured proof cannot carry another operation. Synchronous HMAC rather than a JWT: the
 * router signs one proof per subgraph fetch.
 */
export class IdentitySigner {
  private readonly key: Buffer;
  private readonly hashes = new Map<string, string>();

  constructor(secret: string) {
    this.key = Buffer.from(secret, 'utf8');
  }

  /** base64url SHA-256 of `query`, remembered for short queries (least recently used dropped first). */
  queryHash(query: string): string {
    const known = this.hashes.get(query);
    if (known !== undefined) {
      this.hashes.delete(query);
      this.hashes.set(query, known);
      return known;
    }
    const hash = createHash('sha256').update(query, 'utf8').digest('base64url');
    if (query.length <= QUERY_HASH_CACHE_MAX_LENGTH) {
      if (this.hashes.size >= QUERY_HASH_CACHE_SIZE) this.hashes.delete(this.hashes.keys().next().value!);
      this.hashes.set(query, hash);
    }
    return hash;
  }

  private mac(subgraph: string, queryHash: string, requestId: string, userId: string | null, role: string | null, clientIp: string, exp: number): Buffer {
    const canonical = JSON.stringify([PROOF_VERSION, subgraph, queryHash, requestId, userId, role, clientIp, exp]);
    return createHmac('sha256', this.key).update(canonical, 'utf8').digest();
  }

  /** The headers for one subgraph fetch of `target.query` to `target.subgraph`. */
  headers(fwd: ForwardedIdentity, target: ProofTarget, now = Date.now()): Record<string, string> {
    const exp = Math.floor(now / 1000) + PROOF_TTL_SECONDS;
    const qh = this.queryHash(target.query);
    const userId = fwd.identity?.userId ?? null;
    const role = fwd.identity?.role ?? null;
    const mac = this.mac(target.subgraph, qh, fwd.requestId, userId, role, fwd.clientIp, exp).toString('base64url');
    const out: Record<string, string> = {
      [IDENTITY_HEADERS.requestId]: fwd.requestId,
      [IDENTITY_HEADERS.clientIp]: fwd.clientIp,
      [IDENTITY_HEADERS.proof]: `${PROOF_VERSION}.${exp}.${qh}.${mac}`,
    };
    if (fwd.identity) {
      out[IDENTITY_HEADERS.userId] = fwd.identity.userId;
      out[IDENTITY_HEADERS.role] = fwd.identity.role;
    }
    return out;
  }

  /**
   * Checks the proof in the headers for `subgraph`: present, well-formed, unexpired, and its MAC
   * over exactly these header values. Throws IdentityProofError otherwise. The query binding is
   * left to `checkQuery` (the body may not have been read yet).
   */
  verifyHeaders(get: (name: string) => string | undefined, subgraph: string, now = Date.now()): ProvenHeaders {
    const proof = get(IDENTITY_HEADERS.proof);
    if (!proof) throw new IdentityProofError('missing identity proof');
    const parts = proof.split('.');
    if (parts.length !== 4 || parts[0] !== PROOF_VERSION || !/^\d{1,12}$/.test(parts[1]!) || !B64URL_SHA256.test(parts[2]!) || !B64URL_SHA256.test(parts[3]!)) {
      throw new IdentityProofError('malformed identity proof');
    }
    const exp = Number(parts[1]);
    const qh = parts[2]!;
    const seconds = Math.floor(now / 1000);
    if (exp + CLOCK_SKEW_SECONDS < seconds) throw new IdentityProofError('expired identity proof');
    if (exp > seconds + PROOF_TTL_SECONDS + CLOCK_SKEW_SECONDS) throw new IdentityProofError('identity proof lives longer than allowed');

    const requestId = get(IDENTITY_HEADERS.requestId);
    const clientIp = get(IDENTITY_HEADERS.clientIp);
    const userId = get(IDENTITY_HEADERS.userId) ?? null;
    const role = get(IDENTITY_HEADERS.role) ?? null;
    if (requestId === undefined || clientIp === undefined || (userId === null) !== (role === null) || (role !== null && !isRole(role))) {
      throw new IdentityProofError('identity headers do not match their proof');
    }
    const expected = this.mac(subgraph, qh, requestId, userId, role, clientIp, exp);
    const given = Buffer.from(parts[3]!, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new IdentityProofError('identity proof does not match this subgraph or these headers');
    }
    const identity = userId !== null && isRole(role) ? { userId, role } : null;
    return { forwarded: { identity, requestId, clientIp }, queryHash: qh };
  }

  /** Checks that the operation received is the one the proof was signed for. */
  checkQuery(proven: ProvenHeaders, query: unknown): void {
    if (typeof query !== 'string') throw new IdentityProofError('the request carries no query text to match its identity proof');
    if (this.queryHash(query) !== proven.queryHash) throw new IdentityProofError('identity proof was signed for another operation');
  }

  /** Both checks at once, when headers and query are at hand together (a subscription). */
  verify(get: (name: string) => string | undefined, target: ProofTarget, now = Date.now()): ForwardedIdentity {
    const proven = this.verifyHeaders(get, target.subgraph, now);
    this.checkQuery(proven, target.query);
    return proven.forwarded;
  }
}

export class IdentityProofError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IdentityProofError';
  }
}
