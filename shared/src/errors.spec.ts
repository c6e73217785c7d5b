import { describe, expect, it } from '@jest/globals';
import { GraphQLError } from 'graphql';
import { pino } from 'pino';
import { createErrorFormatter, NotFoundError, RateLimitedError } from './errors.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'error' }, { write: (s: string) => lines.push(JSON.parse(s)) });
  return { lines, format: createErrorFormatter(logger) };
}

describe('error formatting', () => {
  it('passes application errors through with their code and extras', () => {
    const { format, lines } = capture();
    const err = new RateLimitedError(12.2);
    const out = format({ message: err.message, extensions: { ...err.extensions, stacktrace: ['x'] } }, err);
    expect(out.extensions).toEqual({ code: 'RATE_LIMITED', retryAfter: 13 });
    expect(lines).toHaveLength(0);
    expect(new NotFoundError().extensions.code).toBe('NOT_FOUND');
  });

  it('masks unknown errors as INTERNAL and logs the original', () => {
    const { format, lines } = capture();
    const original = new Error('connection to 10.0.0.3:5432 refused; select * from auth.users');
    const wrapped = new GraphQLError(original.message, { originalError: original, path: ['me'] });
    const out = format({ message: original.message, path: ['me'], extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['at ...'] } }, wrapped);
    expect(out).toEqual({ message: 'Internal server error', path: ['me'], extensions: { code: 'INTERNAL' } });
    expect(lines).toHaveLength(1);
    expect(JSON.stringify(lines[0])).toContain('connection to 10.0.0.3:5432 refused');
  });
});
