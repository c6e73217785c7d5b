// GraphQL multipart requests (book uploads) are large: before a byte of the body is read, the
// caller must present a valid TEACHER or ADMIN access token, and may have only a few uploads in
// flight at once (counted in Redis, so across router replicas). Anything else is answered at once
// with the connection closed, so an anonymous client cannot make the router read 100 MB.
import type { Identity, Redis } from '@ai-teacher/shared/core';
import type { NextFunction, Request, Response } from 'express';
import { bearerToken, InvalidTokenError, RevokedTokenError } from './access-token.ts';

const UPLOAD_ROLES = new Set<Identity['role']>(['TEACHER', 'ADMIN']);
/** A slot a crashed router never released frees itself after this long. */
const SLOT_TTL_SECONDS = 3_600;

export function uploadGate(opts: { verify: (token: string) => Promise<Identity>; redis: Redis; maxConcurrentPerUser: number }) {
  const refuse = (res: Response, status: number, code: string, message: string, extra: Record<string, unknown> = {}) => {
    res.setHeader('connection', 'close');
    res.status(status).json({ errors: [{ message, extensions: { code, ...extra } }] });
  };
  return async (req: Request, res: Response, next: NextFunction) => {
    if (!req.is('multipart/form-data')) return next();
    const token = bearerToken(req.get('authorization') ?? '');
    if (!token) return refuse(res, 401, 'UNAUTHENTICATED', 'Uploads need a teacher or admin access token (Authorization: Bearer …)');
    let identity: Identity;
    try {
      identity = await opts.verify(token);
    } catch (err) {
      if (err instanceof InvalidTokenError || err instanceof RevokedTokenError) return refuse(res, 401, 'UNAUTHENTICATED', 'Access token is invalid or expired');
      return next(err);
    }
    if (!UPLOAD_ROLES.has(identity.role)) return refuse(res, 403, 'FORBIDDEN', 'Only teachers and administrators upload files');
    const key = `uploads-in-flight:${identity.userId}`;
    try {
      const [[, n]] = (await opts.redis.multi().incr(key).expire(key, SLOT_TTL_SECONDS).exec()) as [[unknown, number]];
      if (n > opts.maxConcurrentPerUser) {
        await opts.redis.decr(key);
        return refuse(res, 429, 'RATE_LIMITED', `At most ${opts.maxConcurrentPerUser} uploads at a time`, { retryAfter: 5 });
      }
    } catch (err) {
      return next(err);
    }
    let released = false;
    res.on('close', () => {
      if (released) return;
      released = true;
      void opts.redis.decr(key).catch(() => undefined);
    });
    next();
  };
}
