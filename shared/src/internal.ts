import type { NextFunction, Request, Response } from 'express';
import { jwtVerify, SignJWT } from 'jose';

// Service-to-service calls (e.g. academic asking auth about users) carry a short-lived token signed
// with the deployment's IDENTITY_SECRET, separate in audience from the router's identity proofs,
// so a proof forwarded for a user can never be replayed as a service call or the other way round.
const AUDIENCE = 'ai-teacher-internal';
const HEADER = 'x-service-proof';
const TTL_SECONDS = 60;

export class InternalClient {
  private readonly key: Uint8Array;
  private readonly service: string;
  private readonly baseUrl: string;
  private readonly timeoutMs: number;

  constructor(opts: { secret: string; service: string; baseUrl: string; timeoutMs?: number }) {
    this.key = new TextEncoder().encode(opts.secret);
    this.service = opts.service;
    this.baseUrl = opts.baseUrl.replace(/\/$/, '');
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  private proof(): Promise<string> {
    return new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(this.service)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${TTL_SECONDS}s`)
      .sign(this.key);
  }

  async post<T>(path: string, body: unknown): Promise<T> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [HEADER]: await this.proof() },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!res.ok) throw new Error(`internal call ${path} failed: HTTP ${res.status}`);
    return (await res.json()) as T;
  }
}

/** Express middleware for `/internal/*` routes: only other services of this deployment get through. */
export function requireServiceProof(secret: string) {
  const key = new TextEncoder().encode(secret);
  return async (req: Request, res: Response, next: NextFunction) => {
    const proof = req.get(HEADER);
    if (!proof) return void res.status(401).json({ error: 'service proof required' });
    try {
      const { payload } = await jwtVerify(proof, key, { algorithms: ['HS256'], audience: AUDIENCE, maxTokenAge: `${TTL_SECONDS + 5}s` });
      res.locals.service = payload.sub;
      next();
    } catch {
      res.status(401).json({ error: 'invalid service proof' });
    }
  };
}

/** What auth tells other services about a user. */
export interface DirectoryUser {
  id: string;
  email: string;
  role: 'STUDENT' | 'TEACHER' | 'ADMIN';
  displayName: string;
}

/** Looks users up in the auth subgraph by id or email (batched: one call for many). */
export class UserDirectory {
  private readonly client: InternalClient;
  constructor(client: InternalClient) {
    this.client = client;
  }

  async lookup(query: { ids?: string[]; emails?: string[] }): Promise<DirectoryUser[]> {
    if (!query.ids?.length && !query.emails?.length) return [];
    const { users } = await this.client.post<{ users: DirectoryUser[] }>('/internal/users/lookup', query);
    return users;
  }
}
