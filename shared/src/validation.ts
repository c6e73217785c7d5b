import type { z } from 'zod';
import { BadUserInputError } from './errors.ts';

/**
 * Parses resolver input with a zod schema; the first problem becomes BAD_USER_INPUT naming the
 * offending field (as a dotted path relative to the arguments, e.g. `input.email`).
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, fieldPrefix = ''): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = [fieldPrefix, ...issue.path.map(String)].filter(Boolean).join('.');
  throw new BadUserInputError(path ? `${path}: ${issue.message}` : issue.message, path || undefined);
}
