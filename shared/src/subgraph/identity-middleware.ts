import type { NextFunction, Request, Response } from 'express';
import { type ForwardedIdentity, IdentityProofError, type IdentitySigner, type ProvenHeaders } from '../identity.ts';
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
  return (res.locals.proven as ProvenHeaders).forwarded;
}

/** What a subgraph answers a request that is not the router's: 401 UNAUTHENTICATED, with the reason. */
function refuse(res: Response, logger: Logger, req: Request, err: IdentityProofError): void {
  logger.warn({ reason: err.message, ip: req.ip }, 'refused a request without a valid router identity proof');
  res.status(401).json({ errors: [{ message: `Subgraphs answer only the router: ${err.message}`, extensions: { code: 'UNAUTHENTICATED' } }] });
}

/**
 * Every request to a subgraph's /graphql must carry the router's proof, anonymous callers included:
 * this checks its MAC, expiry and headers before the body is read (so nobody else gets to send a
 * body, an upload least of all); `queryBindingMiddleware` then checks the operation, after parsing.
 */
export function identityMiddleware(signer: IdentitySigner, subgraph: string, logger: Logger) {
  return (req: Request, res: Response, next: NextFunction) => {
    let proven: ProvenHeaders;
    try {
      proven = signer.verifyHeaders((name) => headerValue(req, name), subgraph);
    } catch (err) {
      if (err instanceof IdentityProofError) return refuse(res, logger, req, err);
      return next(err);
    }
    res.locals.proven = proven;
    const { requestId, identity } = proven.forwarded;
    res.setHeader('x-request-id', requestId);
    runInScope({ requestId, userId: identity?.userId }, () => next());
  };
}

/**
 * After the body is parsed (JSON, or a multipart request's `operations`): the operation received
 * must be the one the proof was signed for, so a captured proof cannot carry another operation.
 */
export function queryBindingMiddleware(signer: IdentitySigner, logger: Logger) {
  return (req: Request, res: Response, next: NextFunction) => {
    const body = req.body as { query?: unknown } | undefined;
    const query = req.method === 'GET' ? (req.query as Record<string, unknown>).query : body && !Array.isArray(body) ? body.query : undefined;
    try {
      signer.checkQuery(res.locals.proven as ProvenHeaders, query);
    } catch (err) {
      if (err instanceof IdentityProofError) return refuse(res, logger, req, err);
      return next(err);
    }
    next();
  };
}

/** The same check for a subscription, whose headers travel in `extensions.forwarded`. */
export function verifyForwardedExtension(signer: IdentitySigner, subgraph: string, query: string, extensions: Record<string, unknown> | undefined | null): ForwardedIdentity {
  const headers = (extensions?.[FORWARDED_EXTENSION] ?? {}) as Record<string, unknown>;
  return signer.verify((name) => (typeof headers[name] === 'string' ? headers[name] : undefined), { subgraph, query });
}
