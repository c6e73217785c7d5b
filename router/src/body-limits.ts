// Request bodies at the router. Normal operations are small — the largest legitimate ones carry a
// tutor question or an exam answer of a few KB — so GRAPHQL_BODY_LIMIT (256 KB) holds every one of
// them. The one operation that carries data is the bulk import (`importAcademicData`, whose CSV or
// JSON document travels in the variables): it has a route of its own, POST /graphql/import, served
// by the same GraphQL server with the same auth, with IMPORT_BODY_LIMIT (10 MB), which accepts only
// that mutation and only from an ADMIN (the mutation is ADMIN-only), whose access token is checked
// before a byte of the body is read — so an anonymous caller can never make the router buffer and
// parse megabytes. Over a limit: HTTP 413 with a GraphQL-shaped error naming the limit, at once
// when Content-Length says so, and the connection is closed rather than the rest read.
import type { Identity, Logger } from '@ai-teacher/shared/core';
import type { NextFunction, Request, Response } from 'express';
import { type DocumentNode, Kind, parse } from 'graphql';
import { bearerToken, InvalidTokenError, KeysUnavailableError, RevocationUnavailableError, RevokedTokenError } from './access-token.ts';
import { formatBytes, refuseRequest } from './http-refusal.ts';

/** Under the /graphql mount: POST /graphql/import. */
export const IMPORT_PATH = '/import';
export const IMPORT_FIELD = 'importAcademicData';

/** Is this request for /graphql/import (the mount's path stripped)? */
export function isImportRoute(req: Request): boolean {
  return req.path === IMPORT_PATH || req.path === `${IMPORT_PATH}/`;
}

/**
 * /graphql/import: POST with a JSON body, from an ADMIN's access token, checked before the body is
 * read. Anything else is answered at once (and the connection closed).
 */
export function importGate(opts: { verify: (token: string) => Promise<Identity>; logger: Logger }) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    if (!isImportRoute(req)) return next();
    const close = { close: true };
    if (req.method !== 'POST') return refuseRequest(res, 405, 'BAD_REQUEST', `POST the ${IMPORT_FIELD} mutation as JSON to /graphql/import`, { ...close, headers: { allow: 'POST' } });
    if (!req.is('application/json')) return refuseRequest(res, 415, 'BAD_REQUEST', '/graphql/import takes a JSON body (content-type: application/json)', close);
    const token = bearerToken(req.get('authorization') ?? '');
    if (!token) return refuseRequest(res, 401, 'UNAUTHENTICATED', 'Bulk imports need an administrator access token (Authorization: Bearer …)', close);
    let identity: Identity;
    try {
      identity = await opts.verify(token);
    } catch (err) {
      if (err instanceof InvalidTokenError) return refuseRequest(res, 401, 'UNAUTHENTICATED', 'Access token is invalid or expired', close);
      if (err instanceof RevokedTokenError) return refuseRequest(res, 401, 'UNAUTHENTICATED', 'Access token was revoked; get a new one with refreshToken', { ...close, extensions: { reason: 'TOKEN_REVOKED' } });
      if (err instanceof KeysUnavailableError || err instanceof RevocationUnavailableError) {
        opts.logger.error({ err: (err as Error).message }, 'cannot check an access token for /graphql/import');
        return refuseRequest(res, 503, 'INTERNAL', 'Authentication is temporarily unavailable', close);
      }
      return next(err);
    }
    if (identity.role !== 'ADMIN') return refuseRequest(res, 403, 'FORBIDDEN', 'Only administrators import academic data', close);
    next();
  };
}

class BodyTooLarge extends Error {}

/**
 * Reads a JSON request body into `req.body`, up to `limit` bytes (`importLimit` on /graphql/import).
 * Requests without a JSON body (GET, multipart already parsed) pass with `req.body` as it is.
 */
export function jsonBody(opts: { limit: number; importLimit: number }) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    if (req.body !== undefined || !req.is('application/json')) {
      if (!Object.hasOwn(req, 'body')) req.body = undefined; // Apollo's Express integration expects the property
      return next();
    }
    const onImportRoute = isImportRoute(req);
    const limit = onImportRoute ? opts.importLimit : opts.limit;
    const tooLarge = () =>
      refuseRequest(
        res,
        413,
        'BAD_USER_INPUT',
        onImportRoute
          ? `Request body is larger than the ${formatBytes(limit)} limit for bulk imports (IMPORT_BODY_LIMIT); split the document`
          : `Request body is larger than the ${formatBytes(limit)} limit (GRAPHQL_BODY_LIMIT); bulk imports (${IMPORT_FIELD}) go to POST /graphql/import, up to ${formatBytes(opts.importLimit)}`,
        { close: true, extensions: { limitBytes: limit } },
      );
    const declared = Number(req.get('content-length') ?? NaN);
    if (declared > limit) return tooLarge();
    const encoding = (req.get('content-encoding') ?? 'identity').toLowerCase();
    if (encoding !== 'identity') return refuseRequest(res, 415, 'BAD_REQUEST', `Content-Encoding ${encoding} is not accepted; send the JSON body uncompressed`, { close: true });
    const charset = (req.get('content-type') ?? '').match(/charset=([^;\s]+)/i)?.[1]?.toLowerCase().replace(/^"|"$/g, '');
    if (charset && charset !== 'utf-8' && charset !== 'utf8') return refuseRequest(res, 415, 'BAD_REQUEST', 'JSON bodies must be UTF-8', { close: true });

    let text: string;
    try {
      text = await readBody(req, limit);
    } catch (err) {
      if (err instanceof BodyTooLarge) return tooLarge();
      // The client went away mid-body: nobody to answer.
      return void res.destroy();
    }
    if (text.trim() === '') {
      req.body = {};
      return next();
    }
    try {
      req.body = JSON.parse(text);
    } catch {
      return refuseRequest(res, 400, 'BAD_REQUEST', 'Request body is not valid JSON');
    }
    next();
  };
}

/** The body as UTF-8, rejecting with BodyTooLarge as soon as it passes `limit` bytes (then nothing more is read). */
function readBody(req: Request, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.pause();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onAborted = () => onError(new Error('request aborted'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

/** Every operation in the document is a mutation selecting importAcademicData (and nothing else). */
export function isImportOperation(query: unknown, maxTokens: number): boolean {
  if (typeof query !== 'string') return false;
  let document: DocumentNode;
  try {
    document = parse(query, { noLocation: true, maxTokens });
  } catch {
    return false;
  }
  let operations = 0;
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) continue;
    if (definition.kind !== Kind.OPERATION_DEFINITION || definition.operation !== 'mutation') return false;
    operations++;
    const fields = definition.selectionSet.selections;
    if (!fields.every((s) => s.kind === Kind.FIELD && (s.name.value === IMPORT_FIELD || s.name.value === '__typename'))) return false;
    if (!fields.some((s) => s.kind === Kind.FIELD && s.name.value === IMPORT_FIELD)) return false;
  }
  return operations > 0;
}

/** /graphql/import serves the bulk import mutation only (after persisted operations have resolved an id to its text). */
export function importOnly(opts: { maxTokens: number }) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!isImportRoute(req)) return next();
    const body = req.body as { query?: unknown } | undefined;
    if (!isImportOperation(body?.query, opts.maxTokens)) {
      return refuseRequest(res, 400, 'BAD_USER_INPUT', `/graphql/import accepts only the ${IMPORT_FIELD} mutation; send other operations to /graphql`, { extensions: { field: 'query' } });
    }
    next();
  };
}
