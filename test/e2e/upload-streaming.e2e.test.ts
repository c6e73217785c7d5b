// Book uploads are streamed through the router, not buffered: the subgraph receives the first bytes
// of the file while the client is still sending it (a slow client pauses halfway until they have
// arrived), with the identity headers and the file intact; a file over UPLOAD_MAX_BYTES aborts the
// upstream request (the subgraph never sees a complete body) and answers BAD_USER_INPUT; and a
// client that disconnects halfway leaves nothing behind in retrieval.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startRouter, type RunningRouter } from '@ai-teacher/router';
import { repoRoot } from '@ai-teacher/shared';
import { INGESTION, uploadBook } from '../support/course.ts';
import { ADMIN, LOGIN, startStack, type StackWithoutWorkers } from '../support/stack.ts';

const MB = 1024 * 1024;
let stack: StackWithoutWorkers;
let adminToken: string;

/** What a stand-in retrieval subgraph saw of one multipart request. */
interface Received {
  headers: IncomingHttpHeaders;
  /** When bytes of the file (its %PDF- header) first arrived. */
  firstFileByteAt?: number;
  body: Buffer;
  complete: boolean;
  done: Promise<void>;
}

/** A stand-in for retrieval that records how and when the upload arrives, and answers PENDING. */
async function fakeRetrieval(): Promise<{ url: string; requests: Received[]; close(): Promise<void> }> {
  const requests: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let resolve!: () => void;
    const seen: Received = { headers: req.headers, body: Buffer.alloc(0), complete: false, done: new Promise((r) => (resolve = r)) };
    requests.push(seen);
    req.on('data', (c: Buffer) => {
      chunks.push(c);
      // The marker may straddle two chunks: look at the tail of the previous one too.
      const tail = Buffer.concat([chunks.at(-2)?.subarray(-8) ?? Buffer.alloc(0), c]);
      if (seen.firstFileByteAt === undefined && tail.includes('%PDF-')) seen.firstFileByteAt = Date.now();
    });
    req.on('end', () => {
      seen.body = Buffer.concat(chunks);
      seen.complete = true;
      resolve();
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ data: { uploadBookFile: { status: 'PENDING', fileSize: null } } }));
    });
    req.on('close', () => {
      seen.body = Buffer.concat(chunks);
      resolve();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    requests,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** The file part of a multipart body, by its boundary. */
function filePart(body: Buffer, contentType: string): Buffer {
  const boundary = /boundary=(.+)$/.exec(contentType)![1]!;
  const head = body.indexOf('filename=');
  const start = body.indexOf('\r\n\r\n', head) + 4;
  const end = body.indexOf(`\r\n--${boundary}--`, start);
  return body.subarray(start, end);
}

const UPLOAD = 'mutation($b: ID!, $f: Upload!) { uploadBookFile(bookId: $b, file: $f) { status } }';

/**
 * A client that sends a multipart upload by hand: the first `firstBytes` of the file, then waits
 * for `resumeWhen` (at most `maxPauseMs`), then the rest — or disconnects instead.
 */
function slowUpload(routerUrl: string, token: string, bookId: string, file: Buffer, opts: { firstBytes: number; resumeWhen: () => boolean; maxPauseMs: number; disconnect?: boolean }) {
  const url = new URL(routerUrl);
  const boundary = `slow-${randomBytes(6).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\ncontent-disposition: form-data; name="operations"\r\n\r\n${JSON.stringify({ query: UPLOAD, variables: { b: bookId, f: null } })}\r\n` +
      `--${boundary}\r\ncontent-disposition: form-data; name="map"\r\n\r\n{"0":["variables.f"]}\r\n` +
      `--${boundary}\r\ncontent-disposition: form-data; name="0"; filename="book.pdf"\r\ncontent-type: application/pdf\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return new Promise<{ status: number; body: string; finishedSendingAt: number }>((resolve, reject) => {
    let finishedSendingAt = 0;
    const req = request({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(head.length + file.length + tail.length), 'apollo-require-preflight': 'true', authorization: `Bearer ${token}` },
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body, finishedSendingAt }));
    });
    req.on('error', (err) => (opts.disconnect ? resolve({ status: 0, body: '', finishedSendingAt }) : reject(err)));
    req.write(head);
    // In 256 KiB pieces, as a network would deliver it.
    for (let i = 0; i < opts.firstBytes; i += 256 * 1024) req.write(file.subarray(i, Math.min(i + 256 * 1024, opts.firstBytes)));
    const started = Date.now();
    const poll = setInterval(() => {
      if (!opts.resumeWhen() && Date.now() - started < opts.maxPauseMs) return;
      clearInterval(poll);
      if (opts.disconnect) {
        req.destroy();
        resolve({ status: 0, body: '', finishedSendingAt });
        return;
      }
      req.write(file.subarray(opts.firstBytes));
      req.end(tail, () => (finishedSendingAt = Date.now()));
    }, 50);
  });
}

beforeAll(async () => {
  stack = await startStack({ workers: false, env: { UPLOAD_MAX_BYTES: String(8 * MB) } });
  adminToken = (await stack.query(LOGIN, { input: ADMIN })).data!.login.accessToken;
}, 60_000);
afterAll(async () => {
  await stack?.stop();
});

describe('a router in front of a stand-in retrieval', () => {
  let fake: Awaited<ReturnType<typeof fakeRetrieval>>;
  let router: RunningRouter;
  beforeAll(async () => {
    fake = await fakeRetrieval();
    router = await startRouter({ ...stack.env, SUBGRAPH_URL_RETRIEVAL: fake.url, UPLOAD_MAX_BYTES: String(8 * MB) });
  });
  afterAll(async () => {
    await router?.stop();
    await fake?.close();
  });

  it('forwards the file while the client is still sending it, with identity headers and the bytes intact', async () => {
    const file = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(5 * MB)]);
    const before = fake.requests.length;
    // Halfway, the client waits until the subgraph has the first bytes (a buffering router
    // forwards nothing until the client has finished, so the wait runs out).
    const res = await slowUpload(router.graphqlUrl, adminToken, '00000000-0000-4000-8000-000000000001', file, {
      firstBytes: Math.floor(file.length / 2),
      resumeWhen: () => fake.requests[before]?.firstFileByteAt !== undefined,
      maxPauseMs: 15_000,
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ data: { uploadBookFile: { status: 'PENDING' } } });
    const seen = fake.requests[before]!;
    await seen.done;
    expect(seen.firstFileByteAt).toBeDefined();
    expect(seen.firstFileByteAt!).toBeLessThan(res.finishedSendingAt);
    expect(seen.complete).toBe(true);
    expect(seen.headers['x-identity-proof']).toEqual(expect.any(String));
    expect(seen.headers['x-user-id']).toEqual(expect.any(String));
    expect(createHash('sha256').update(filePart(seen.body, seen.headers['content-type']!)).digest('hex')).toBe(createHash('sha256').update(file).digest('hex'));
    const operations = /name="operations"\r\n\r\n(.*)\r\n/.exec(seen.body.subarray(0, 4096).toString())![1]!;
    expect(JSON.parse(operations).variables).toEqual({ b: '00000000-0000-4000-8000-000000000001', f: null });
  }, 60_000);

  it('a file over UPLOAD_MAX_BYTES aborts the upstream request and answers BAD_USER_INPUT', async () => {
    const before = fake.requests.length;
    const big = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(8 * MB + 64 * 1024, 0x20)]);
    const form = new FormData();
    form.append('operations', JSON.stringify({ query: UPLOAD, variables: { b: '00000000-0000-4000-8000-000000000002', f: null } }));
    form.append('map', JSON.stringify({ 0: ['variables.f'] }));
    form.append('0', new Blob([big], { type: 'application/pdf' }), 'big.pdf');
    const answer = await fetch(router.graphqlUrl, { method: 'POST', body: form, headers: { 'apollo-require-preflight': 'true', authorization: `Bearer ${adminToken}` } });
    const json = (await answer.json()) as { errors?: { message: string; extensions: Record<string, unknown> }[] };
    expect(json.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'file' });
    expect(json.errors![0]!.message).toBe('file: larger than the 8 MB limit');
    // The subgraph had started receiving the file, and never got a complete request.
    const seen = fake.requests[before]!;
    await seen.done;
    expect(seen.firstFileByteAt).toBeDefined();
    expect(seen.complete).toBe(false);
    expect(seen.body.length).toBeLessThanOrEqual(8 * MB + 64 * 1024);
  }, 60_000);
});

describe('the real retrieval', () => {
  it('a client that disconnects halfway leaves no ingestion and no file; the same book uploads afterwards', async () => {
    const create = async (mutation: string, variables: Record<string, unknown>) => {
      const res = await stack.query(mutation, variables, adminToken);
      expect(res.errors).toBeUndefined();
      return Object.values(res.data!)[0].id as string;
    };
    const faculty = await create(`mutation { createFaculty(name: "Science") { id } }`, {});
    const department = await create(`mutation($f: ID!) { createDepartment(facultyId: $f, name: "CS") { id } }`, { f: faculty });
    const semester = await create(`mutation($d: ID!) { createSemester(departmentId: $d, name: "Fall") { id } }`, { d: department });
    const course = await create(`mutation($s: ID!) { createCourse(semesterId: $s, code: "PY1", title: "Python") { id } }`, { s: semester });
    const book = (await stack.query(`mutation($c: ID!) { createBook(courseId: $c, title: "Python", authors: ["OpenStax"]) { id } }`, { c: course }, adminToken)).data!.createBook.id as string;
    const pdf = readFileSync(join(repoRoot, '..', 'shared', 'data', 'textbooks', 'intro-python-programming.pdf'));

    // Half the book, a second for it to reach retrieval, then the connection drops.
    const started = Date.now();
    await slowUpload(stack.routerUrl, adminToken, book, pdf, { firstBytes: Math.floor(pdf.length / 2), resumeWhen: () => Date.now() - started > 1_000, maxPauseMs: 5_000, disconnect: true });
    await new Promise((r) => setTimeout(r, 1_500));
    const ingestionOf = async () => (await stack.query(INGESTION, { c: course }, adminToken)).data!.course.books.find((b: { id: string }) => b.id === book).ingestion;
    expect(await ingestionOf()).toBeNull();
    const files = join(stack.env.DATA_DIR!, 'blobs', 'books', book);
    expect(existsSync(files) ? readdirSync(files) : []).toEqual([]);

    // The upload slot was freed and the whole file goes through.
    const res = await uploadBook(stack, book, pdf, 'intro-python-programming.pdf', adminToken);
    expect(res.errors).toBeUndefined();
    expect(res.data.uploadBookFile).toMatchObject({ status: 'PENDING', fileSize: pdf.length });
    expect(readdirSync(files)).toEqual([`${createHash('sha256').update(pdf).digest('hex')}.pdf`]);
  }, 60_000);
});
