// Ingestion under a memory and a time cap: the real Python textbook, uploaded through the router,
// ends FAILED with the reason when the worker's PDF thread may use only 16 MB of heap or 1 ms, with
// nothing of it written and its job failed once (not retried); with the default limits the same
// file — uploaded again — and another book are READY, on the same worker set-up.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createWorkers, bullPrefix, repoRoot, type RunningWorkers } from '@ai-teacher/shared';
import { ingestBookQueue } from '@ai-teacher/retrieval/contracts';
import { workerDefinitions } from '@ai-teacher/workers';
import { Queue } from 'bullmq';
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { uploadBook, waitForIngestion } from '../support/course.ts';
import { ADMIN, LOGIN, startStack, type StackWithoutWorkers } from '../support/stack.ts';

const data = join(repoRoot, '..', 'shared', 'data');
const python = readFileSync(join(data, 'textbooks', 'intro-python-programming.pdf'));
const biology = readFileSync(join(data, 'textbooks', 'biology-2e-excerpt.pdf'));

let stack: StackWithoutWorkers;
let adminToken: string;
let course: string;
let workers: RunningWorkers | undefined;
let redis: Redis;
let queue: Queue;
let db: pg.Pool;

async function create(mutation: string, variables: Record<string, unknown> = {}): Promise<string> {
  const res = await stack.query(mutation, variables, adminToken);
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return (Object.values(res.data!)[0] as { id: string }).id;
}
const newBook = (title: string) => create(`mutation($c: ID!, $t: String!) { createBook(courseId: $c, title: $t, authors: ["OpenStax"]) { id } }`, { c: course, t: title });

/** The worker process's queue consumers, with these settings over the stack's. */
async function runWorkers(env: Record<string, string>): Promise<void> {
  await workers?.stop();
  workers = await createWorkers(await workerDefinitions(), { env: { ...stack.env, WORKERS_PORT: '0', ...env } });
}

async function written(bookId: string): Promise<{ chunks: number; vectors: number }> {
  const { rows } = await db.query<{ chunks: number; vectors: number }>(
    `select (select count(*)::int from retrieval.chunks where book_id = $1) as chunks, (select count(*)::int from retrieval.chunk_vectors where book_id = $1) as vectors`,
    [bookId],
  );
  return rows[0]!;
}

beforeAll(async () => {
  stack = await startStack({ workers: false });
  adminToken = (await stack.query(LOGIN, { input: ADMIN })).data!.login.accessToken;
  const faculty = await create(`mutation { createFaculty(name: "Science") { id } }`);
  const department = await create(`mutation($f: ID!) { createDepartment(facultyId: $f, name: "CS") { id } }`, { f: faculty });
  const semester = await create(`mutation($d: ID!) { createSemester(departmentId: $d, name: "Fall") { id } }`, { d: department });
  course = await create(`mutation($s: ID!) { createCourse(semesterId: $s, code: "PY1", title: "Python") { id } }`, { s: semester });
  redis = new Redis(stack.env.REDIS_URL!, { maxRetriesPerRequest: null });
  queue = new Queue(ingestBookQueue.name, { connection: redis, prefix: bullPrefix(stack.env.REDIS_KEY_PREFIX!) });
  db = new pg.Pool({ connectionString: stack.env.DATABASE_URL, max: 2 });
}, 60_000);

afterAll(async () => {
  await workers?.stop();
  await queue?.close();
  redis?.disconnect();
  await db?.end();
  await stack?.stop();
});

describe.each([
  ['INGEST_MAX_HEAP_MB', '16', /^reading the PDF needed more than 16 MB of memory, the limit for one file/],
  ['INGEST_TIMEOUT_MS', '1', /^reading the PDF took longer than 1 ms, the limit for one file/],
])('with %s=%s', (setting, value, reason) => {
  it('the Python textbook ends FAILED with the reason, nothing written, its job failed once and not retried', async () => {
    await runWorkers({ [setting]: value });
    const book = await newBook(`Python (${setting})`);
    const res = await uploadBook(stack, book, python, 'intro-python-programming.pdf', adminToken);
    expect(res.errors).toBeUndefined();
    const done = await waitForIngestion(stack, adminToken, course, book, 60_000);
    expect(done).toMatchObject({ status: 'FAILED', chunkCount: null });
    expect(done.error).toMatch(reason);
    expect(await written(book)).toEqual({ chunks: 0, vectors: 0 });
    const job = await queue.getJob(ingestBookQueue.jobId({ bookId: book, fileSha256: createHash('sha256').update(python).digest('hex'), blobKey: '' }));
    expect(await job!.getState()).toBe('failed');
    expect(job!.attemptsMade).toBe(1);
    // The worker process is unharmed.
    expect((await fetch(`${workers!.url}/ready`)).status).toBe(200);
  }, 90_000);
});

describe('with the default limits', () => {
  it('the same textbook uploaded again, and another book, are READY', async () => {
    await runWorkers({});
    const failed = (await stack.query(`query($c: ID!) { course(id: $c) { books { id title } } }`, { c: course }, adminToken)).data!.course.books.find((b: { title: string }) => b.title === 'Python (INGEST_MAX_HEAP_MB)').id as string;
    expect((await uploadBook(stack, failed, python, 'intro-python-programming.pdf', adminToken)).errors).toBeUndefined();
    expect(await waitForIngestion(stack, adminToken, course, failed, 90_000)).toMatchObject({ status: 'READY', pageCount: 200, error: null });
    const other = await newBook('Biology');
    expect((await uploadBook(stack, other, biology, 'biology.pdf', adminToken)).errors).toBeUndefined();
    expect(await waitForIngestion(stack, adminToken, course, other, 90_000)).toMatchObject({ status: 'READY', pageCount: 59, error: null });
    expect((await written(other)).chunks).toBeGreaterThan(0);
  }, 120_000);
});
