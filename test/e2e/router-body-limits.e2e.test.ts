// Request body limits at the router: normal operations get GRAPHQL_BODY_LIMIT (256 KB), the bulk
// import gets its own route, POST /graphql/import (IMPORT_BODY_LIMIT, 10 MB), open only to an
// administrator whose token is checked before the body is read. Over a limit the client gets 413
// with a GraphQL-shaped JSON error naming the limit, never an HTML page.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { errorCode, type GraphQLResponse } from '@ai-teacher/shared/testing';
import { streamLargeBody } from '../support/http.ts';
import { ADMIN, LOGIN, registerUser, startStack, type Stack } from '../support/stack.ts';

let stack: Stack;
let adminToken: string;
let studentToken: string;
let importUrl: string;

const IMPORT = `mutation Import($d: String!) { importAcademicData(format: CSV, document: $d) { applied rows coursesCreated errors { row field message } } }`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response shapes are asserted by each test
async function post(url: string, body: string, token?: string): Promise<{ status: number; contentType: string | null; json: GraphQLResponse<any> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body });
  const text = await res.text();
  return { status: res.status, contentType: res.headers.get('content-type'), json: { ...(JSON.parse(text) as object), status: res.status, headers: res.headers } };
}

/** Streams a `total`-byte JSON body and stops when the router answers; how much it had to send. */
function sendLargeBody(url: string, total: number, authorization?: string, opts: { chunked?: boolean } = {}): Promise<{ status: number; body: string; sentBytes: number }> {
  const head = `{"query":"mutation($d: String!) { importAcademicData(format: CSV, document: $d) { applied } }","variables":{"d":"`;
  const headers = { 'content-type': 'application/json', ...(opts.chunked ? {} : { 'content-length': String(total) }), ...(authorization ? { authorization } : {}) };
  return streamLargeBody(url, { head, total, headers });
}

/** A CSV import document of at least `bytes` bytes: 200 courses, each named on many rows (repeated facts merge). */
function csvOfSize(bytes: number, tag: string): string {
  const rows = ['faculty,department,semester,course_code,course_title'];
  let size = rows[0]!.length;
  for (let i = 0; size < bytes; i++) {
    const row = `Faculty of Bulk ${tag},Department of Imports,Fall 2026,B${i % 200},Course number ${i % 200} of the bulk import test`;
    rows.push(row);
    size += row.length + 1;
  }
  return rows.join('\n');
}

beforeAll(async () => {
  stack = await startStack();
  importUrl = `${stack.routerUrl}/import`;
  adminToken = (await stack.query(LOGIN, { input: { email: ADMIN.email, password: ADMIN.password } })).data!.login.accessToken as string;
  studentToken = (await registerUser(stack)).accessToken;
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

describe('/graphql body limit (GRAPHQL_BODY_LIMIT)', () => {
  it('a 300 kB operation is refused with 413 and a JSON error naming the limit', async () => {
    const body = JSON.stringify({ query: `query($q: String!) { searchCourseMaterial(courseId: "00000000-0000-4000-8000-000000000000", query: $q) { text } }`, variables: { q: 'x'.repeat(300 * 1024) } });
    const res = await post(stack.routerUrl, body, studentToken);
    expect(res.status).toBe(413);
    expect(res.contentType).toMatch(/application\/json/);
    expect(errorCode(res.json)).toBe('BAD_USER_INPUT');
    expect(res.json.errors![0]!.message).toMatch(/256 KB limit \(GRAPHQL_BODY_LIMIT\)/);
    expect(res.json.errors![0]!.message).toMatch(/\/graphql\/import/);
  });

  it('the bulk import over 256 kB is refused at /graphql too (it has its own route)', async () => {
    const res = await post(stack.routerUrl, JSON.stringify({ query: IMPORT, variables: { d: csvOfSize(300 * 1024, 'refused') } }), adminToken);
    expect(res.status).toBe(413);
    expect(errorCode(res.json)).toBe('BAD_USER_INPUT');
  });

  it('an anonymous 10 MB body is refused before it is read', async () => {
    const res = await sendLargeBody(stack.routerUrl, 10 * 1024 * 1024);
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(res.sentBytes).toBeLessThan(5 * 1024 * 1024);
  });

  it('a body without Content-Length (chunked) is read only up to the limit', async () => {
    const res = await sendLargeBody(stack.routerUrl, 10 * 1024 * 1024, undefined, { chunked: true });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).errors[0].message).toMatch(/256 KB limit/);
    expect(res.sentBytes).toBeLessThan(5 * 1024 * 1024);
  });

  it('a body that is not JSON gets a JSON error, not an HTML page', async () => {
    const res = await post(stack.routerUrl, '{"query": ', studentToken);
    expect(res.status).toBe(400);
    expect(res.json.errors![0]!.message).toMatch(/not valid JSON/);
  });
});

describe('POST /graphql/import (IMPORT_BODY_LIMIT)', () => {
  it('an administrator imports a 2 MB document', async () => {
    const document = csvOfSize(2 * 1024 * 1024, 'accepted');
    const res = await post(importUrl, JSON.stringify({ query: IMPORT, variables: { d: document } }), adminToken);
    expect(res.status).toBe(200);
    expect(res.json.errors).toBeUndefined();
    expect(res.json.data!.importAcademicData).toMatchObject({ applied: true, coursesCreated: 200, errors: [] });
    expect(res.json.data!.importAcademicData.rows).toBeGreaterThan(20_000);
  }, 60_000);

  it('anonymous and student callers are refused before the body is read', async () => {
    const anonymous = await sendLargeBody(importUrl, 10 * 1024 * 1024);
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(anonymous.body).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(anonymous.sentBytes).toBeLessThan(5 * 1024 * 1024);
    const student = await sendLargeBody(importUrl, 10 * 1024 * 1024, `Bearer ${studentToken}`);
    expect(student.status).toBe(403);
    expect(JSON.parse(student.body).errors[0].extensions.code).toBe('FORBIDDEN');
    expect(student.sentBytes).toBeLessThan(5 * 1024 * 1024);
  });

  it('accepts only the import mutation', async () => {
    const res = await post(importUrl, JSON.stringify({ query: `{ me { id email } }` }), adminToken);
    expect(res.status).toBe(400);
    expect(errorCode(res.json)).toBe('BAD_USER_INPUT');
    expect(res.json.errors![0]!.message).toMatch(/only the importAcademicData mutation/);
    const mixed = await post(importUrl, JSON.stringify({ query: `mutation { importAcademicData(format: CSV, document: "faculty") { applied } setUserRole(userId: "x", role: ADMIN) { id } }` }), adminToken);
    expect(mixed.status).toBe(400);
  });

  it('over IMPORT_BODY_LIMIT is 413 naming that limit', async () => {
    const res = await sendLargeBody(importUrl, 11 * 1024 * 1024, `Bearer ${adminToken}`);
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).errors[0].message).toMatch(/10 MB limit for bulk imports \(IMPORT_BODY_LIMIT\)/);
  });
});
