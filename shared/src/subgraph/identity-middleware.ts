import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { sanitizeRequestId } from '../http.ts';
import { type ForwardedIdentity, IdentityProofError, type IdentitySigner } from '../identity.ts';
import type { Logger } from '../logger.ts';
import { runInScope } from '../request-context.ts';

/** Where a subscription's signed identity headers travel (graphql-ws has no per-operation headers). */
export const FORWARDED_EXTENSION = 'forwarded';

function headerValue(req: Request, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The verified caller of an HTTP request, set by `identityMiddleware`. */
export function forwardedOf(res: Response): ForwardedIdentity {
  return res.locals.forwarded as ForwardedIdentity;
}

/**
 * Identity headers are believed only with the router's proof: without identity headers a request
 * is anonymous; with headers but no valid proof it is refused with 401.
 */
export function identityMiddleware(signer: IdentitySigner, logger: Logger) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const forwarded = await signer.verify((name) => headerValue(req, name));
      const requestId = forwarded?.requestId ?? sanitizeRequestId(headerValue(req, 'x-request-id'), randomUUID);
      res.locals.forwarded = {
        identity: forwarded?.identity ?? null,
        requestId,
        clientIp: forwarded?.clientIp ?? req.ip ?? 'unknown',
      } satisfies ForwardedIdentity;
      res.setHeader('x-request-id', requestId);
      runInScope({ requestId, userId: forwarded?.identity?.userId }, () => next());
    } catch (err) {
      if (!(err instanceof IdentityProofError)) return next(err);
      logger.warn({ reason: err.message, ip: req.ip }, 'refused request with unproven identity');
      res.status(401).json({ errors: [{ message: 'Identity headers are not signed by the router', extensions: { code: 'UNAUTHENTICATED' } }] });
    }
  };
}

/** The same check for a subscription, whose headers travel in `extensions.forwarded`. */
export async function verifyForwardedExtension(signer: IdentitySigner, extensions: Record<string, unknown> | undefined): Promise<ForwardedIdentity> {
  const headers = (extensions?.[FORWARDED_EXTENSION] ?? {}) as Record<string, unknown>;
  const fwd = await signer.verify((name) => (typeof headers[name] === 'string' ? headers[name] : undefined));
  return { identity: fwd?.identity ?? null, requestId: fwd?.requestId ?? randomUUID(), clientIp: fwd?.clientIp ?? 'unknown' };
}
