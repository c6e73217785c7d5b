// Persisted operations at the router: a manifest of the clients' operations, in Apollo's persisted
// query manifest format (what `@apollo/generate-persisted-query-manifest` writes), and what the
// router does with it (PERSISTED_OPERATIONS_MODE):
//   off       the manifest is not used;
//   allow     an operation in the manifest may be sent by its id alone
//             (`extensions.persistedQuery.sha256Hash`); anything else is still served;
//   safelist  only operations in the manifest run, sent by id or with a body identical to the
//             listed one (ignoring whitespace, commas and comments); anything else — introspection
//             included — is refused with PERSISTED_QUERY_NOT_IN_LIST, over HTTP and over WebSocket.
// Automatic persisted queries (APQ, Apollo Server's own, stored in Redis by apq-cache.ts) work in
// `off` and `allow`; in `safelist` a client may still send the hash of a listed operation.
//
// A request sent by a listed id is rewritten here into an ordinary one (the listed text, no
// persistedQuery extension) before Apollo Server sees it, so ids need not be SHA-256 hashes of the
// text. This middleware also answers malformed persistedQuery extensions and hash mismatches with a
// coded error: Apollo Server's own answer to those carries no code and would be masked as INTERNAL.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from '@ai-teacher/shared/core';
import type { NextFunction, Request, Response } from 'express';
import { GraphQLError, parse, stripIgnoredCharacters } from 'graphql';
import { z } from 'zod';
import { refuseRequest } from './http-refusal.ts';

export type PersistedOperationsMode = 'off' | 'allow' | 'safelist';

export const NOT_IN_LIST = 'PERSISTED_QUERY_NOT_IN_LIST';

const manifestSchema = z.object({
  format: z.literal('apollo-persisted-query-manifest'),
  version: z.literal(1),
  operations: z.array(
    z.object({
      id: z.string().min(1),
      name: z.string().optional(),
      type: z.enum(['query', 'mutation', 'subscription']).optional(),
      body: z.string().min(1),
    }),
  ),
});

export interface PersistedOperation {
  id: string;
  name?: string | undefined;
  type?: 'query' | 'mutation' | 'subscription' | undefined;
  body: string;
}

/** The error a refused operation gets, over HTTP and over WebSocket. */
export function notInListError(id?: string): GraphQLError {
  const message = id
    ? `Persisted query '${id}' is not in the persisted operation list`
    : 'This operation is not in the persisted operation list; this server runs only the operations its clients registered';
  return new GraphQLError(message, { extensions: { code: NOT_IN_LIST } });
}

/** The mode in force: the setting, or by default `off` without a manifest and, with one, `safelist` in production and `allow` elsewhere. */
export function persistedOperationsMode(config: { NODE_ENV: string; PERSISTED_OPERATIONS_MODE?: PersistedOperationsMode | undefined; PERSISTED_OPERATIONS_PATH?: string | undefined }): PersistedOperationsMode {
  if (config.PERSISTED_OPERATIONS_MODE) return config.PERSISTED_OPERATIONS_MODE;
  if (!config.PERSISTED_OPERATIONS_PATH) return 'off';
  return config.NODE_ENV === 'production' ? 'safelist' : 'allow';
}

/** Reads and checks a manifest; throws with the reason (the router does not start with a bad one). */
export function readManifest(path: string): PersistedOperation[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`PERSISTED_OPERATIONS_PATH: cannot read ${path}: ${(err as Error).message}`);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(`PERSISTED_OPERATIONS_PATH: ${path} is not an Apollo persisted query manifest (format "apollo-persisted-query-manifest", version 1): ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data.operations;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The text without what GraphQL ignores (whitespace, commas, comments); null when it does not lex. */
function normalized(text: string): string | null {
  try {
    return stripIgnoredCharacters(text);
  } catch {
    return null;
  }
}

type Extensions = Record<string, unknown> | undefined;

export class PersistedOperations {
  readonly mode: PersistedOperationsMode;
  private readonly byId = new Map<string, PersistedOperation>();
  /** Listed bodies, exactly and normalized. */
  private readonly bodies = new Set<string>();
  private readonly normalizedBodies = new Set<string>();
  private readonly logger: Logger | undefined;

  constructor(mode: PersistedOperationsMode, operations: PersistedOperation[], logger?: Logger) {
    this.mode = mode;
    this.logger = logger;
    for (const op of operations) {
      const existing = this.byId.get(op.id);
      if (existing && existing.body !== op.body) throw new Error(`PERSISTED_OPERATIONS_PATH: id ${op.id} is listed twice with different bodies`);
      const n = normalized(op.body);
      try {
        parse(op.body, { noLocation: true });
      } catch (err) {
        throw new Error(`PERSISTED_OPERATIONS_PATH: operation ${op.name ?? op.id} is not valid GraphQL: ${(err as Error).message}`);
      }
      this.byId.set(op.id, op);
      this.bodies.add(op.body);
      if (n !== null) this.normalizedBodies.add(n);
    }
  }

  /** From the router's settings; `allow` and `safelist` need a manifest. */
  static fromConfig(config: { NODE_ENV: string; PERSISTED_OPERATIONS_MODE?: PersistedOperationsMode | undefined; PERSISTED_OPERATIONS_PATH?: string | undefined }, logger?: Logger): PersistedOperations {
    const mode = persistedOperationsMode(config);
    if (mode === 'off') return new PersistedOperations('off', [], logger);
    if (!config.PERSISTED_OPERATIONS_PATH) throw new Error(`PERSISTED_OPERATIONS_MODE=${mode} needs a manifest in PERSISTED_OPERATIONS_PATH`);
    const list = new PersistedOperations(mode, readManifest(config.PERSISTED_OPERATIONS_PATH), logger);
    logger?.info({ mode, operations: list.size, path: config.PERSISTED_OPERATIONS_PATH }, 'persisted operation manifest loaded');
    return list;
  }

  get size(): number {
    return this.byId.size;
  }

  /** The listed operation for the request's persistedQuery id, if the mode uses the manifest. */
  listed(extensions: Extensions): PersistedOperation | undefined {
    if (this.mode === 'off') return undefined;
    const id = persistedQueryOf(extensions)?.sha256Hash;
    return typeof id === 'string' ? this.byId.get(id) : undefined;
  }

  private isListedBody(query: string): boolean {
    if (this.bodies.has(query)) return true;
    const n = normalized(query);
    return n !== null && this.normalizedBodies.has(n);
  }

  /**
   * May this operation run? `query` is the text sent (empty or absent when sent by id alone),
   * `extensions` the request's extensions. Always true unless the mode is `safelist`.
   */
  isAllowedOperation = (query: string | null | undefined, extensions: Extensions): boolean => {
    if (this.mode !== 'safelist') return true;
    const listed = this.listed(extensions);
    if (typeof query === 'string' && query !== '') return listed ? this.isAllowedAs(listed, query) : this.isListedBody(query);
    return listed !== undefined;
  };

  /** Express middleware, after the body is parsed and before Apollo Server. */
  middleware = (req: Request, res: Response, next: NextFunction): void => {
    const request = graphqlRequestOf(req);
    if (!request) return next();
    const { query, extensions } = request;
    const pq = persistedQueryOf(extensions);
    if (pq !== undefined && (pq === null || typeof pq !== 'object' || pq.version !== 1 || typeof pq.sha256Hash !== 'string' || !pq.sha256Hash)) {
      return refuseRequest(res, 400, 'BAD_USER_INPUT', 'extensions.persistedQuery must be { "version": 1, "sha256Hash": "<id>" }', { extensions: { field: 'extensions.persistedQuery' } });
    }
    const id = typeof pq?.sha256Hash === 'string' ? pq.sha256Hash : undefined;
    const text = typeof query === 'string' && query !== '' ? query : undefined;

    const listed = this.listed(extensions);
    if (listed) {
      if (text !== undefined && !this.isAllowedAs(listed, text)) return mismatch(res, id!);
      request.replace(listed.body);
      return next();
    }
    if (!this.isAllowedOperation(text, extensions)) {
      this.logger?.debug({ id, operationName: request.operationName }, 'operation not in the persisted operation list refused');
      const error = notInListError(text === undefined ? id : undefined);
      return refuseRequest(res, 400, NOT_IN_LIST, error.message);
    }
    // APQ registration: the hash must be the text's SHA-256.
    if (id !== undefined && text !== undefined && sha256(text) !== id) return mismatch(res, id);
    next();
  };

  private isAllowedAs(listed: PersistedOperation, text: string): boolean {
    return listed.body === text || normalized(listed.body) === normalized(text);
  }
}

function mismatch(res: Response, id: string): void {
  refuseRequest(res, 400, 'BAD_USER_INPUT', `The query does not match its persistedQuery id ${id} (for an automatic persisted query, sha256Hash must be the SHA-256 of the query text)`, {
    extensions: { field: 'extensions.persistedQuery.sha256Hash', reason: 'PERSISTED_QUERY_HASH_MISMATCH' },
  });
}

function persistedQueryOf(extensions: Extensions): { version?: unknown; sha256Hash?: unknown } | null | undefined {
  if (!extensions || typeof extensions !== 'object') return undefined;
  return extensions.persistedQuery as { version?: unknown; sha256Hash?: unknown } | null | undefined;
}

interface GraphQLHttpRequest {
  query: unknown;
  extensions: Extensions;
  operationName: unknown;
  /** Makes the request an ordinary one with this text (no persistedQuery extension). */
  replace(body: string): void;
}

/** The operation of a POST (JSON or multipart, already parsed) or GET request; null for anything else (Apollo answers those). */
function graphqlRequestOf(req: Request): GraphQLHttpRequest | null {
  if (req.method === 'POST') {
    const body = req.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || Array.isArray(body)) return null;
    const extensions = body.extensions && typeof body.extensions === 'object' ? (body.extensions as Record<string, unknown>) : undefined;
    return {
      query: body.query,
      extensions,
      operationName: body.operationName,
      replace(text) {
        body.query = text;
        if (extensions) delete extensions.persistedQuery;
      },
    };
  }
  if (req.method === 'GET') {
    const url = new URL(req.url, 'http://router.invalid');
    const params = url.searchParams;
    let extensions: Extensions;
    try {
      const raw = params.get('extensions');
      const parsed: unknown = raw ? JSON.parse(raw) : undefined;
      extensions = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
    } catch {
      extensions = undefined; // Apollo answers an unreadable `extensions` parameter itself
    }
    return {
      query: params.get('query') ?? undefined,
      extensions,
      operationName: params.get('operationName') ?? undefined,
      replace(text) {
        params.set('query', text);
        if (extensions) {
          delete extensions.persistedQuery;
          if (Object.keys(extensions).length) params.set('extensions', JSON.stringify(extensions));
          else params.delete('extensions');
        }
        // Apollo's Express integration reads the operation from the URL.
        req.url = `${url.pathname}?${params.toString()}`;
      },
    };
  }
  return null;
}
