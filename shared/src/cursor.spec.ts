import { describe, expect, it } from '@jest/globals';
import { decodeCursor, encodeCursor, toPage } from './cursor.ts';

const badAfter = { extensions: { code: 'BAD_USER_INPUT', field: 'after' }, message: 'after: is not a cursor from this list' };

describe('cursors', () => {
  it('round-trip the sort key they were made from', () => {
    const key = ['CS101', '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9'];
    const cursor = encodeCursor(key);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/); // URL-safe, opaque
    expect(decodeCursor(cursor, 2)).toEqual(key);
  });

  it('keep unicode and separators in keys intact', () => {
    const key = ['Ünïcödé "code", with commas', ''];
    expect(decodeCursor(encodeCursor(key), 2)).toEqual(key);
  });

  it.each([
    ['not base64 JSON', 'garbage!'],
    ['empty', ''],
    ['another list’s cursor (other key length)', encodeCursor(['only-one-part'])],
    ['a key with a non-string part', Buffer.from(JSON.stringify(['a', 1])).toString('base64url')],
    ['an object', Buffer.from(JSON.stringify({ code: 'a', id: 'b' })).toString('base64url')],
  ])('refuse %s as BAD_USER_INPUT on after', (_name, cursor) => {
    expect(() => decodeCursor(cursor, 2)).toThrow(expect.objectContaining(badAfter));
  });
});

describe('toPage', () => {
  const rows = ['a', 'b', 'c'].map((id) => ({ id }));

  it('keeps `limit` rows and reports the extra one as a next page', () => {
    const page = toPage(rows, 2, (r) => [r.id]);
    expect(page.edges.map((e) => e.node.id)).toEqual(['a', 'b']);
    expect(page.pageInfo).toEqual({ hasNextPage: true, endCursor: page.edges[1]!.cursor });
    expect(decodeCursor(page.pageInfo.endCursor!, 1)).toEqual(['b']);
  });

  it('ends on the last page, and an empty page has no end cursor', () => {
    expect(toPage(rows, 3, (r) => [r.id]).pageInfo.hasNextPage).toBe(false);
    expect(toPage([], 3, (r: { id: string }) => [r.id])).toEqual({ edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });
});
