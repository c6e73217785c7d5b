// BOOK_READY and BOOK_FAILED, end to end inside retrieval: real Postgres and Redis, the real
// academic subgraph behind the course scope (book titles), retrieval served over HTTP (uploads as
// the router forwards them) and its ingest-book worker on BullMQ. The event is written in the
// transaction that makes the book READY or FAILED, reaches the notify queue through the relay, and
// a job that runs again (a BullMQ retry, a second run of a finished job, two runs at once) never
// announces the same outcome twice.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import academicSubgraph from '@ai-teacher/academic';
import {
  bullPrefix,
  coreConfigSchema,
  createLogger,
  createMetrics,
  createSubgraph,
  createWorkers,
  type DomainEvent,
  type Env,
  type Identity,
  loadConfig,
  notifyQueue,
  type OpenedService,
  openService,
  repoRoot,
  type RunningSubgraph,
  type RunningWorkers,
  UnrecoverableError,
} from '@ai-teacher/shared';
import { createTestDatabase, createTestRedis, freePort, jobOnQueue, signedHeaders, signedOp, tempDir, type TestDatabase, type TestRedis } from '@ai-teacher/shared/testing';
import { type Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { bookFileKey } from '../src/blob/keys.ts';
import { type RetrievalConfig, retrievalConfigSchema } from '../src/config.ts';
import { type IngestBookPayload, ingestBookQueue } from '../src/contracts.ts';
import { ingestBook } from '../src/ingest/ingest-book.ts';
import { IngestionRepository } from '../src/repositories/ingestion.repository.ts';
import { type RetrievalServices, retrievalService } from '../src/service.ts';
import { retrievalSubgraph } from '../src/subgraph.ts';
import retrievalWorker from '../src/worker.ts';

const files = join(repoRoot, '..', 'shared', 'data');
const secret = randomBytes(32).toString('hex');
const dataDir = tempDir();
const logger = createLogger('book-events-test', 'silent');
/** Uploads as an administrator (ADMIN may upload any course's books). */
const uploader: Identity = { userId: randomUUID(), role: 'ADMIN' };
let db: TestDatabase;
let redis: TestRedis;
let academic: RunningSubgraph;
let retrieval: RunningSubgraph;
let workers: RunningWorkers;
let opened: OpenedService<RetrievalConfig, RetrievalServices>;
let connection: Redis;
let notify: Queue;
let ingestQueue: Queue;
let courseId: string;

const UPLOAD = 'mutation($b: ID!, $f: Upload!) { uploadBookFile(bookId: $b, file: $f) { status } }';
const academicOp = (query: string, variables: Record<string, unknown>) => signedOp(academic, secret, { userId: '00000000-0000-4000-8000-00000000a0a0', role: 'ADMIN' }, query, variables);

const newBook = async (title: string): Promise<string> =>
  (await academicOp(`mutation($c: ID!, $t: String!) { createBook(courseId: $c, title: $t, authors: ["OpenStax"]) { id } }`, { c: courseId, t: title })).createBook.id;

/**
 * A GraphQL multipart upload to retrieval, with the identity the router forwards (a proof for
 * retrieval and the upload's query, unless the test passes other headers).
 */
async function upload(bookId: string, file: string, headers: Record<string, string> = signedHeaders(secret, uploader, { subgraph: 'retrieval', query: UPLOAD })): Promise<{ status: number; data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const form = new FormData();
  form.append('operations', JSON.stringify({ query: UPLOAD, variables: { b: bookId, f: null } }));
  form.append('map', JSON.stringify({ 0: ['variables.f'] }));
  form.append('0', new Blob([readFileSync(join(files, file))], { type: 'application/pdf' }), file.split('/').pop()!);
  const res = await fetch(retrieval.graphqlUrl, { method: 'POST', body: form, headers: { 'apollo-require-preflight': 'true', ...headers } });
  return { status: res.status, ...((await res.json()) as object) };
}

type Row = { status: string; error: string | null; page_count: number | null; chunk_count: number | null; uploaded_by: string | null };
const ingestion = async (bookId: string): Promise<Row | undefined> =>
  ((await opened.deps.orm.em.fork().execute(`select status, error, page_count, chunk_count, uploaded_by from retrieval.ingestions where book_id = ?`, [bookId], 'all')) as Row[])[0];

async function finished(bookId: string): Promise<Row> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const row = await ingestion(bookId);
    if (row && (row.status === 'READY' || row.status === 'FAILED')) return row;
    if (Date.now() > deadline) throw new Error(`ingestion still ${JSON.stringify(row)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function eventsOf(bookId: string): Promise<DomainEvent[]> {
  const rows = (await opened.deps.orm.em.fork().execute(`select event from retrieval.outbox where event->'data'->>'bookId' = ? order by created_at`, [bookId], 'all')) as { event: DomainEvent }[];
  return rows.map((r) => r.event);
}

const onQueue = (event: DomainEvent) => jobOnQueue(notify, notifyQueue.jobId(event));

const sha256 = (file: string) => createHash('sha256').update(readFileSync(join(files, file))).digest('hex');
const payloadFor = (bookId: string, file: string): IngestBookPayload => ({ bookId, fileSha256: sha256(file), blobKey: bookFileKey(bookId, sha256(file)) });
/** The job as BullMQ hands it to the handler, for running the handler again in this process. */
const jobFor = (payload: IngestBookPayload) => ({ data: payload, opts: { attempts: 4 }, attemptsMade: 0, updateProgress: async () => undefined }) as unknown as Job<IngestBookPayload>;
const runAgain = (payload: IngestBookPayload) => ingestBook(jobFor(payload), { orm: opened.services.orm, runtime: opened.services.runtime, logger, relay: opened.services.relay });

beforeAll(async () => {
  [db, redis] = await Promise.all([createTestDatabase('ait_book_events'), createTestRedis()]);
  const [academicPort, retrievalPort, workersPort] = [await freePort(), await freePort(), await freePort()];
  const env: Env = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir.path,
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: redis.prefix,
    IDENTITY_SECRET: secret,
    MIGRATE_ON_START: 'true',
    ACADEMIC_INTERNAL_URL: `http://127.0.0.1:${academicPort}`,
    // Events must reach the queue because the job kicks the relay, not because a timer ran.
    OUTBOX_RELAY_INTERVAL_MS: '600000',
  };
  academic = await createSubgraph(academicSubgraph, { ...env, PORT: String(academicPort) });
  retrieval = await createSubgraph(retrievalSubgraph, { ...env, PORT: String(retrievalPort) });
  workers = await createWorkers([retrievalWorker], { name: 'workers-test', env: { ...env, WORKERS_PORT: String(workersPort) } });
  const config = loadConfig(coreConfigSchema.extend(retrievalConfigSchema.shape), env);
  opened = await openService(retrievalService, { name: 'retrieval-test', config, logger, metrics: createMetrics('retrieval-test') });
  connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  notify = new Queue(notifyQueue.name, { connection, prefix: bullPrefix(redis.prefix) });
  ingestQueue = new Queue(ingestBookQueue.name, { connection, prefix: bullPrefix(redis.prefix) });

  await academicOp(`mutation($d: String!) { importAcademicData(format: JSON, document: $d) { applied } }`, {
    d: JSON.stringify({ faculties: [{ name: 'Science', departments: [{ name: 'Chemistry', semesters: [{ name: 'Fall', courses: [{ code: 'CHEM1', title: 'General Chemistry' }] }] }] }] }),
  });
  const tree = await academicOp(`{ faculties { departments { semesters { courses { id } } } } }`, {});
  courseId = tree.faculties[0].departments[0].semesters[0].courses[0].id;
}, 60_000);

afterAll(async () => {
  await workers?.stop();
  await retrieval?.stop();
  await opened?.close();
  await academic?.stop();
  await notify?.close();
  await ingestQueue?.close();
  connection?.disconnect();
  await db?.drop();
  await redis?.cleanup();
  dataDir.remove();
});

describe('BOOK_READY', () => {
  let book: string;

  it('the ingest job makes the book READY with one event for the uploader and the course teachers, relayed to the notify queue', async () => {
    book = await newBook('Chemistry handout');
    expect((await upload(book, 'bad-inputs/garbage-xref.pdf')).data?.uploadBookFile).toEqual({ status: 'PENDING' });
    const done = await finished(book);
    expect(done).toMatchObject({ status: 'READY', page_count: 4, error: null, uploaded_by: uploader.userId });
    const events = await eventsOf(book);
    expect(events).toEqual([
      {
        id: expect.any(String),
        kind: 'BOOK_READY',
        courseId,
        title: 'Book ready: Chemistry handout',
        body: `Chemistry handout is ready: 4 pages, ${done.chunk_count} ${done.chunk_count === 1 ? 'passage is' : 'passages are'} searchable.`,
        audience: { userIds: [uploader.userId], courseTeachers: true },
        data: { bookId: book },
        occurredAt: expect.any(String),
        producer: 'retrieval',
      },
    ]);
    expect(await onQueue(events[0]!)).toEqual(events[0]);
  });

  it('the job running again, or the same file uploaded again, announces nothing more', async () => {
    await expect(runAgain(payloadFor(book, 'bad-inputs/garbage-xref.pdf'))).resolves.toEqual({ skipped: 'already ingested' });
    expect((await upload(book, 'bad-inputs/garbage-xref.pdf')).data?.uploadBookFile).toEqual({ status: 'READY' });
    expect(await eventsOf(book)).toHaveLength(1);
  });

  it('two runs of one job at once: the book is READY once, announced once', async () => {
    const b = await newBook('Twice at once');
    const file = 'bad-inputs/garbage-xref.pdf';
    const payload = payloadFor(b, file);
    // Stored and recorded as an upload does, without enqueueing: both runs are this test's.
    await opened.services.runtime.blobs.put(payload.blobKey, readFileSync(join(files, file)), 'application/pdf');
    await new IngestionRepository(opened.deps.orm.em.fork()).start({ bookId: b, courseId, fileSha256: payload.fileSha256, blobKey: payload.blobKey, fileName: 'twice.pdf', fileSize: 1, uploadedBy: uploader.userId });
    const results = await Promise.all([runAgain(payload), runAgain(payload)]);
    for (const r of results) expect(r).toMatchObject({ pages: 4 });
    expect(await ingestion(b)).toMatchObject({ status: 'READY' });
    const events = await eventsOf(b);
    expect(events.map((e) => e.kind)).toEqual(['BOOK_READY']);
    expect(await onQueue(events[0]!)).toEqual(events[0]);
  });
});

describe('BOOK_FAILED', () => {
  let book: string;
  const file = 'bad-inputs/truncated.pdf';

  it('a file that cannot be read: FAILED with its reason and one event saying so', async () => {
    book = await newBook('Damaged scan');
    expect((await upload(book, file)).data?.uploadBookFile).toEqual({ status: 'PENDING' });
    const done = await finished(book);
    expect(done.status).toBe('FAILED');
    expect(done.error).toMatch(/truncated or damaged PDF/);
    const events = await eventsOf(book);
    expect(events).toEqual([
      {
        id: expect.any(String),
        kind: 'BOOK_FAILED',
        courseId,
        title: 'Book could not be read: Damaged scan',
        body: done.error!.charAt(0).toUpperCase() + done.error!.slice(1),
        audience: { userIds: [uploader.userId], courseTeachers: true },
        data: { bookId: book },
        occurredAt: expect.any(String),
        producer: 'retrieval',
      },
    ]);
    expect(await onQueue(events[0]!)).toEqual(events[0]);
  });

  it('the failed job retried by BullMQ, or run again, fails the same way without a second event', async () => {
    const job = (await ingestQueue.getJob(ingestBookQueue.jobId(payloadFor(book, file))))!;
    expect(await job.getState()).toBe('failed');
    const before = job.finishedOn;
    await job.retry('failed');
    const deadline = Date.now() + 30_000;
    for (;;) {
      const again = (await ingestQueue.getJob(job.id!))!;
      if ((await again.getState()) === 'failed' && again.finishedOn !== before) break;
      if (Date.now() > deadline) throw new Error('the retried job did not finish');
      await new Promise((r) => setTimeout(r, 100));
    }
    await expect(runAgain(payloadFor(book, file))).rejects.toThrow(UnrecoverableError);
    expect(await ingestion(book)).toMatchObject({ status: 'FAILED' });
    expect((await eventsOf(book)).map((e) => e.kind)).toEqual(['BOOK_FAILED']);
  });

  it('a new file for the failed book is a new outcome: READY, announced', async () => {
    expect((await upload(book, 'bad-inputs/garbage-xref.pdf')).data?.uploadBookFile).toEqual({ status: 'PENDING' });
    expect(await finished(book)).toMatchObject({ status: 'READY' });
    expect((await eventsOf(book)).map((e) => e.kind)).toEqual(['BOOK_FAILED', 'BOOK_READY']);
  });

  it('a file that is not a PDF is refused at upload: no job, no event', async () => {
    const b = await newBook('Not a PDF');
    const res = await upload(b, 'bad-inputs/not-a-pdf.pdf');
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await ingestion(b)).toBeUndefined();
    expect(await eventsOf(b)).toEqual([]);
  });
});

describe('uploads straight to retrieval, not from the router', () => {
  it('are refused (401) without a proof, with a proof for another operation, or for another subgraph: nothing stored', async () => {
    const b = await newBook('Unproven upload');
    const other = 'mutation($b: ID!, $f: Upload!) { uploadBookFile(bookId: $b, file: $f) { status bookId } }';
    for (const headers of [
      {},
      signedHeaders(secret, uploader, { subgraph: 'retrieval', query: other }),
      signedHeaders(secret, uploader, { subgraph: 'academic', query: UPLOAD }),
    ]) {
      const res = await upload(b, 'bad-inputs/garbage-xref.pdf', headers);
      expect(res.status).toBe(401);
      expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    expect(await ingestion(b)).toBeUndefined();
    // The router's proof for exactly this operation (the multipart `operations` query) is accepted.
    expect((await upload(b, 'bad-inputs/garbage-xref.pdf')).data?.uploadBookFile).toEqual({ status: 'PENDING' });
    expect(await finished(b)).toMatchObject({ status: 'READY' });
  });
});
