import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { jwtVerify, SignJWT } from 'jose';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { AppError, type ErrorCode } from './errors.ts';
import { inSpan, injectTraceHeaders, SERVICE_ATTRIBUTE, SpanKind } from './telemetry.ts';
import { parseInput } from './validation.ts';

// Service-to-service calls (e.g. academic asking auth about users) carry a short-lived token signed
// with the deployment's SERVICE_SECRET: a key of its own, not the IDENTITY_SECRET of the router's
// identity proofs (different format and audience too), so a proof forwarded for a user can never
// be replayed as a service call or the other way round, and a worker holds no identity key.
const AUDIENCE = 'ai-teacher-internal';
const HEADER = 'x-service-proof';
const TTL_SECONDS = 60;

/**
 * One internal route's contract: its path and the zod schemas of its request and response. The
 * owning subgraph declares it in its contracts module; the owner serves it with `implement()` and
 * callers use `InternalClient.call()`, so neither side can drift from the other.
 */
export interface InternalRoute<Input extends z.ZodType, Output extends z.ZodType> {
  path: `/internal/${string}`;
  input: Input;
  output: Output;
  /** Largest request body accepted (express.json syntax); default 1mb. */
  bodyLimit?: string;
}

export function defineInternalRoute<Input extends z.ZodType, Output extends z.ZodType>(route: InternalRoute<Input, Output>): InternalRoute<Input, Output> {
  if (!/^\/internal\/[a-z0-9/-]+$/.test(route.path)) throw new Error(`internal route paths are /internal/kebab-case: ${route.path}`);
  return route;
}

/** A failed internal call: the route's answer (status and error code) or the transport's failure. */
export class InternalCallError extends Error {
  readonly path: string;
  readonly status: number | null;
  readonly code: ErrorCode | null;
  constructor(path: string, status: number | null, code: ErrorCode | null, detail: string) {
    super(`internal call ${path} failed: ${status ? `HTTP ${status}` : 'no answer'}${detail ? ` (${detail})` : ''}`);
    this.name = 'InternalCallError';
    this.path = path;
    this.status = status;
    this.code = code;
  }
}

/** Calls other services' internal routes as `service`, typed by each route's contract. */
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

  /** One CLIENT span per call (`POST /internal/...`); the route's server span continues its trace. */
  call<Input extends z.ZodType, Output extends z.ZodType>(route: InternalRoute<Input, Output>, input: z.input<Input>): Promise<z.output<Output>> {
    const url = `${this.baseUrl}${route.path}`;
    return inSpan(`POST ${route.path}`, { kind: SpanKind.CLIENT, attributes: { [SERVICE_ATTRIBUTE]: this.service, 'http.request.method': 'POST', 'url.full': url } }, async (span) => {
      const headers: Record<string, string> = { 'content-type': 'application/json', [HEADER]: await this.proof() };
      injectTraceHeaders((name, value) => (headers[name] = value));
      let res: globalThis.Response;
      try {
        res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(input), signal: AbortSignal.timeout(this.timeoutMs) });
      } catch (err) {
        throw new InternalCallError(route.path, null, null, (err as Error).message);
      }
      span?.setAttribute('http.response.status_code', res.status);
      const body = (await res.json().catch(() => null)) as unknown;
      if (!res.ok) {
        const error = (body as { error?: { code?: ErrorCode; message?: string } } | null)?.error;
        throw new InternalCallError(route.path, res.status, error?.code ?? null, error?.message ?? '');
      }
      const parsed = route.output.safeParse(body);
      if (!parsed.success) throw new InternalCallError(route.path, res.status, null, `unexpected response: ${parsed.error.issues[0]?.message}`);
      return parsed.data;
    });
  }
}

/** Express middleware: only other services of this deployment get through. */
export function requireServiceProof(secret: string) {
  const key = new TextEncoder().encode(secret);
  return async (req: Request, res: Response, next: NextFunction) => {
    const proof = req.get(HEADER);
    if (!proof) return void res.status(401).json({ error: { code: 'UNAUTHENTICATED', message: 'service proof required' } });
    try {
      const { payload } = await jwtVerify(proof, key, { algorithms: ['HS256'], audience: AUDIENCE, maxTokenAge: `${TTL_SECONDS + 5}s` });
      res.locals.service = payload.sub;
      next();
    } catch {
      res.status(401).json({ error: { code: 'UNAUTHENTICATED', message: 'invalid service proof' } });
    }
  };
}

/** What an internal handler learns about its call besides the input. */
export interface InternalCall {
  /** The calling service, from its proof. */
  caller: string;
  logger: Logger;
}

/** An internal route bound to its handler; the handler gets the subgraph's services. */
export interface InternalRouteHandler<Services> {
  path: string;
  mount(app: Express, services: Services, opts: { secret: string; logger: Logger }): void;
}

const STATUS: Record<ErrorCode, number> = {
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  COST_LIMIT_EXCEEDED: 429,
  INTERNAL: 500,
};

/**
 * Serves `route`: the service proof is checked, the body is parsed with the route's input schema
 * (BAD_USER_INPUT → 400), and errors become status codes in one place (AppError codes keep their
 * meaning; anything else is logged and answered 500 without details).
 */
export function implement<Input extends z.ZodType, Output extends z.ZodType, Services>(
  route: InternalRoute<Input, Output>,
  handler: (input: z.output<Input>, services: Services, call: InternalCall) => Promise<z.input<Output>>,
): InternalRouteHandler<Services> {
  return {
    path: route.path,
    mount(app, services, opts) {
      app.post(route.path, requireServiceProof(opts.secret), express.json({ limit: route.bodyLimit ?? '1mb' }), async (req, res) => {
        const caller = String(res.locals.service ?? 'unknown');
        try {
          const input = parseInput(route.input, req.body);
          res.json(await handler(input, services, { caller, logger: opts.logger }));
        } catch (err) {
          if (err instanceof AppError) return void res.status(STATUS[err.code]).json({ error: { code: err.code, message: err.message } });
          opts.logger.error({ err, route: route.path, caller }, 'internal route failed');
          res.status(500).json({ error: { code: 'INTERNAL', message: 'internal error' } });
        }
      });
    },
  };
}
