// Small helpers the end-to-end tests share: an operation that must succeed, an error with its code
// (and field), and polling until something is there.
import { expect } from '@jest/globals';
import { errorCode, type GraphQLResponse } from '@ai-teacher/shared/testing';
import type { Stack } from './stack.ts';

/** The operation's data through the router; any error fails the test with the errors shown. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response shapes are asserted by each test
export async function ok<T = Record<string, any>>(stack: Stack, query: string, variables: Record<string, unknown>, token: string): Promise<T> {
  const res = await stack.query<T>(query, variables, token);
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data!;
}

/** The first error carries `code` (and `extensions.field` when given). */
export function expectError(res: GraphQLResponse<unknown>, code: string, field?: string): void {
  expect(errorCode(res)).toBe(code);
  if (field) expect(res.errors![0]!.extensions?.field).toBe(field);
}

/** Polls `probe` until it returns something truthy; after `timeoutMs` fails with `what` (and `detail()`). */
export async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 30_000, everyMs = 200, detail?: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${detail ? `; ${detail()}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
