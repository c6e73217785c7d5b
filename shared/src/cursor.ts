import { BadUserInputError } from './errors.ts';

/** A Relay-style connection page. */
export interface Page<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** An opaque cursor: the sort key of the row it points at. */
export const encodeCursor = (parts: string[]): string => Buffer.from(JSON.stringify(parts)).toString('base64url');

/** The sort key in an `after` cursor; BAD_USER_INPUT on `after` when it is not one of this list's cursors. */
export function decodeCursor(cursor: string, length: number): string[] {
  try {
    const parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(parts) && parts.length === length && parts.every((p) => typeof p === 'string')) return parts as string[];
  } catch {
    // fall through
  }
  throw new BadUserInputError('after: is not a cursor from this list', 'after');
}

/**
 * The page for `rows` fetched with one row more than `limit` (the extra row only tells whether
 * there is a next page); `key` gives each node's sort key.
 */
export function toPage<T>(rows: T[], limit: number, key: (node: T) => string[]): Page<T> {
  const edges = rows.slice(0, limit).map((node) => ({ cursor: encodeCursor(key(node)), node }));
  return { edges, pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null } };
}
