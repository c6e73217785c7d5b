import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';

/** The codes clients see in `extensions.code` (README, "Errors"). */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'COST_LIMIT_EXCEEDED'
  | 'INTERNAL';

/** Errors meant for the client: their message and code are shown as they are. */
export class AppError extends GraphQLError {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { ...extensions, code } });
    this.code = code;
    this.name = 'AppError';
  }
}

export class BadUserInputError extends AppError {
  constructor(message: string, field?: string) {
    super('BAD_USER_INPUT', message, field ? { field } : {});
  }
}
export class UnauthenticatedError extends AppError {
  constructor(message = 'You must be signed in to do this') {
    super('UNAUTHENTICATED', message);
  }
}
export class ForbiddenError extends AppError {
  constructor(message = 'You are not allowed to do this') {
    super('FORBIDDEN', message);
  }
}
export class NotFoundError extends AppError {
  constructor(message = 'Not found') {
    super('NOT_FOUND', message);
  }
}
export class ConflictError extends AppError {
  constructor(message: string, field?: string) {
    super('CONFLICT', message, field ? { field } : {});
  }
}
export class RateLimitedError extends AppError {
  constructor(retryAfterSeconds: number, message = 'Too many attempts; try again later') {
    super('RATE_LIMITED', message, { retryAfter: Math.max(1, Math.ceil(retryAfterSeconds)) });
  }
}

/** Codes produced by graphql-js and Apollo itself that are safe to show as they are. */
const PASSTHROUGH_CODES = new Set([
  'BAD_USER_INPUT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'RATE_LIMITED',
  'COST_LIMIT_EXCEEDED',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
]);

/**
 * Apollo `formatError`: known codes pass through; anything else is logged with the request id and
 * replaced by a generic INTERNAL error, so stack traces and SQL never reach a client.
 */
export function createErrorFormatter(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && PASSTHROUGH_CODES.has(code)) {
      const { stacktrace: _s, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    const original = error instanceof GraphQLError && error.originalError ? error.originalError : error;
    logger.error({ err: original, path: formatted.path }, 'unhandled error in resolver');
    return {
      message: 'Internal server error',
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: 'INTERNAL' },
    };
  };
}
