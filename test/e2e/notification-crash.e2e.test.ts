// Crashes around event delivery, with the real processes: the worker process (`workers/src/index.ts`)
// and a producer subgraph (`subgraphs/academic/src/index.ts`) run as child processes of the test and
// are killed with SIGKILL at a chosen point; every event still reaches every recipient exactly once.
//
// - Worker killed mid fan-out: an announcement to 2,000 students, stored 100 per batch. The worker's
//   calls to academic's course-members route go through a gate that answers the first 5 pages and
//   holds the 6th, so the kill always lands with exactly 500 rows stored and the job active. A new
//   worker process finishes it once BullMQ sees the job stalled (its lock, 30 s, has expired).
// - Producer killed right after its change commits: academic's Redis connections go through a TCP
//   proxy that the test cuts before `enrollStudent`, so the relay cannot enqueue the committed
//   ENROLLED event; the process is killed, the outbox row is still pending and nothing is on the
//   queue; academic started again relays it and the student gets one notification, still one after
//   the event is relayed twice more (while the queue still has its job, and after it was removed).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, createConnection, createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { bullPrefix, type Env, IdentitySigner, notifyQueue, repoRoot } from '@ai-teacher/shared';
import { freePort, gql } from '@ai-teacher/shared/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { waitFor as waitUntil } from '../support/assertions.ts';
import { ADMIN, LOGIN, newEmail, REGISTER, type Session, startStack, type StackWithoutWorkers } from '../support/stack.ts';

const STUDENTS = 2_000;
const BATCH = 100;
/** Pages of course members the first worker gets before the gate holds the next one. */
const PAGES_BEFORE_CRASH = 5;
const ANNOUNCE = `mutation($c: ID!, $t: String!, $b: String!) { announce(courseId: $c, title: $t, body: $b) }`;
const ENROLL = `mutation($c: ID!, $u: ID!) { enrollStudent(courseId: $c, userId: $u) { id } }`;

let stack: StackWithoutWorkers;
let db: pg.Pool;
let redis: Redis;
let queue: Queue;
let admin: Session;
let course: string;
/** The worker process the tests deliver with (the first test's second one, or the second test's own). */
let worker: Child | undefined;
const children = new Set<Child>();
const closers: (() => Promise<void>)[] = [];

// ---- child processes -----------------------------------------------------------------------------

interface Child {
  name: string;
  proc: ChildProcess;
  exited: Promise<void>;
  /** What it wrote to stderr (logs at LOG_LEVEL=error, crashes), for failure messages. */
  stderr(): string;
}

/** `node <entry>` from the repository root with the stack's settings plus `env`. */
function spawnChild(name: string, entry: string, env: Env): Child {
  const { NODE_OPTIONS: _jestOptions, ...inherited } = process.env;
  const proc = spawn(process.execPath, [join(repoRoot, entry)], {
    env: { ...inherited, ...stack.env, LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4_000)));
  const child: Child = { name, proc, exited: new Promise((resolve) => proc.once('exit', () => resolve())), stderr: () => err };
  children.add(child);
  void child.exited.then(() => children.delete(child));
  return child;
}

async function waitReady(child: Child, url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.proc.exitCode !== null) throw new Error(`${child.name} exited (${child.proc.exitCode}) while starting: ${child.stderr()}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${child.name} not ready at ${url}: ${child.stderr()}`);
    await sleep(100);
  }
}

async function kill(child: Child, signal: NodeJS.Signals): Promise<void> {
  if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill(signal);
  await child.exited;
}

/** The worker process (every subgraph's src/worker.ts), ready. */
async function startWorkerProcess(env: Env = {}): Promise<Child> {
  const port = await freePort();
  // A dead worker's job is handed on within seconds, not the default half minute to a minute.
  const child = spawnChild('workers', 'workers/src/index.ts', { WORKERS_PORT: String(port), NOTIFY_BATCH_SIZE: String(BATCH), WORKER_LOCK_DURATION_MS: '4000', WORKER_STALLED_INTERVAL_MS: '1000', ...env });
  await waitReady(child, `http://127.0.0.1:${port}/ready`);
  return child;
}

/** The academic subgraph as its own process, ready; returns it and its GraphQL URL. */
async function startAcademicProcess(env: Env = {}): Promise<{ child: Child; graphqlUrl: string }> {
  const port = await freePort();
  const child = spawnChild('academic', 'subgraphs/academic/src/index.ts', { PORT: String(port), ...env });
  await waitReady(child, `http://127.0.0.1:${port}/ready`);
  return { child, graphqlUrl: `http://127.0.0.1:${port}/graphql` };
}

// ---- what the test puts between processes --------------------------------------------------------

/**
 * In front of academic's internal API: forwards every call, except that course-members pages after
 * the first `allow` are held (never answered), so the worker stops at a known batch boundary.
 */
class MembersGate {
  private pages = 0;
  private readonly server: Server;
  private readonly heldResponses: ServerResponse[] = [];
  private onHeld!: () => void;
  /** Resolves when the first page past `allow` has been asked for (and held). */
  readonly held = new Promise<void>((resolve) => (this.onHeld = resolve));
  readonly allow: number;
  private readonly target: string;
  url = '';

  constructor(target: string, allow: number) {
    this.target = target.replace(/\/$/, '');
    this.allow = allow;
    this.server = createHttpServer((req, res) => void this.handle(req, res));
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.url?.startsWith('/internal/course-members') && ++this.pages > this.allow) {
      this.heldResponses.push(res);
      this.onHeld();
      return;
    }
    try {
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k, v]) => typeof v === 'string' && !['host', 'connection', 'content-length'].includes(k))) as Record<string, string>;
      const upstream = await fetch(`${this.target}${req.url}`, { method: req.method, headers, ...(chunks.length ? { body: Buffer.concat(chunks) } : {}) });
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
      res.end(Buffer.from(await upstream.arrayBuffer()));
    } catch {
      res.destroy();
    }
  }

  async close(): Promise<void> {
    for (const r of this.heldResponses) r.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A TCP proxy to Redis that the test can cut: once cut, bytes either way are dropped, connections stay open. */
class RedisProxy {
  cut = false;
  /** What the proxied process sent after the cut (it never reached Redis; the first MiB). */
  private dropped: Buffer[] = [];
  private droppedBytes = 0;
  private readonly server: NetServer;
  private readonly sockets = new Set<Socket>();
  url = '';
  private readonly upstreamUrl: URL;

  constructor(upstreamUrl: string) {
    this.upstreamUrl = new URL(upstreamUrl);
    this.server = createNetServer((client) => {
      const upstream = createConnection({ host: this.upstreamUrl.hostname, port: Number(this.upstreamUrl.port || 6379) });
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => {
          this.sockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
      client.on('data', (d: Buffer) => {
        if (!this.cut) return void upstream.write(d);
        if (this.droppedBytes < 1 << 20) this.dropped.push(d);
        this.droppedBytes += d.length;
      });
      upstream.on('data', (d: Buffer) => void (this.cut || client.write(d)));
    });
  }

  droppedText(): string {
    return Buffer.concat(this.dropped).toString('latin1');
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const url = new URL(this.upstreamUrl);
    url.hostname = '127.0.0.1';
    url.port = String((this.server.address() as AddressInfo).port);
    this.url = url.toString();
    return this;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

// ---- helpers -------------------------------------------------------------------------------------

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `probe` returns something; a timeout shows what the child processes wrote to stderr. */
const waitFor = <T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 30_000, everyMs = 100) =>
  waitUntil(what, probe, timeoutMs, everyMs, () => `children: ${[...children].map((c) => `${c.name}: ${c.stderr()}`).join(' | ')}`);

async function one<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T> {
  return (await db.query(sql, params)).rows[0] as T;
}

const announcements = async () => one<{ n: number; users: number }>(`select count(*)::int as n, count(distinct user_id)::int as users from notification.notifications where kind = 'ANNOUNCEMENT'`);

beforeAll(async () => {
  // No in-process workers: the test runs the worker process. The stack's own academic relays its
  // outbox on start only (no timer), so an event the crashed academic process left stays pending
  // until academic is started again.
  stack = await startStack({ workers: false, subgraphEnv: { academic: { OUTBOX_RELAY_INTERVAL_MS: '3600000' } } });
  db = new pg.Pool({ connectionString: stack.env.DATABASE_URL, max: 4 });
  redis = new Redis(stack.env.REDIS_URL!, { maxRetriesPerRequest: null });
  queue = new Queue(notifyQueue.name, { connection: redis, prefix: bullPrefix(stack.env.REDIS_KEY_PREFIX!) });
  admin = (await stack.query<{ login: Session }>(LOGIN, { input: ADMIN })).data!.login;
  const imported = await stack.query(`mutation($d: String!) { importAcademicData(format: JSON, document: $d) { applied } }`, {
    d: JSON.stringify({ faculties: [{ name: 'Science', departments: [{ name: 'Physics', semesters: [{ name: 'Fall', courses: [{ code: 'PHY1', title: 'Mechanics' }] }] }] }] }),
  }, admin.accessToken);
  expect(imported.errors).toBeUndefined();
  course = (await stack.query(`{ faculties { departments { semesters { courses { id } } } } }`, {}, admin.accessToken)).data!.faculties[0].departments[0].semesters[0].courses[0].id;
  // 2,000 students enrolled in SQL (no ENROLLED events), each with announcement emails off so the
  // worker only fans out in the app.
  await db.query(
    `with s as (select gen_random_uuid() as id from generate_series(1, $2::int)),
          e as (insert into academic.enrollments (course_id, user_id, created_at) select $1, id, now() from s returning user_id)
     insert into notification.preferences (user_id, kind, in_app, email, updated_at) select user_id, 'ANNOUNCEMENT', true, false, now() from e`,
    [course, STUDENTS],
  );
}, 60_000);

afterAll(async () => {
  await Promise.all([...children].map((c) => kill(c, 'SIGKILL')));
  for (const close of closers) await close().catch(() => undefined);
  await queue?.close();
  redis?.disconnect();
  await db?.end();
  await stack?.stop();
});

describe('a crash never loses or repeats a notification', () => {
  it('worker killed mid fan-out: a new worker process finishes it, every student exactly once', async () => {
    const gate = await new MembersGate(stack.env.ACADEMIC_INTERNAL_URL!, PAGES_BEFORE_CRASH).start();
    closers.push(() => gate.close());
    const first = await startWorkerProcess({ ACADEMIC_INTERNAL_URL: gate.url });

    const res = await stack.query(ANNOUNCE, { c: course, t: 'Lab moved to room 2', b: 'Same time.' }, admin.accessToken);
    expect(res.errors).toBeUndefined();
    expect(res.data!.announce).toBe(STUDENTS);
    await Promise.race([gate.held, sleep(30_000).then(() => Promise.reject(new Error(`the worker never reached page ${PAGES_BEFORE_CRASH + 1}: ${first.stderr()}`)))]);
    // Each batch is fetched, stored, pushed, then the next page is asked for: 5 batches are in.
    expect(await announcements()).toEqual({ n: PAGES_BEFORE_CRASH * BATCH, users: PAGES_BEFORE_CRASH * BATCH });
    const { event_id: eventId } = await one<{ event_id: string }>(`select distinct event_id from notification.notifications where kind = 'ANNOUNCEMENT'`);
    const job = (await queue.getJob(`event-${eventId}`))!;
    expect(await job.getState()).toBe('active');

    await kill(first, 'SIGKILL');
    const killedAt = Date.now();
    // The new worker process takes the stalled job once the dead one's lock (4 s) has expired.
    await sleep(500);
    expect(await announcements()).toEqual({ n: PAGES_BEFORE_CRASH * BATCH, users: PAGES_BEFORE_CRASH * BATCH });

    worker = await startWorkerProcess();

    const done = await waitFor(
      'the job to complete',
      async () => {
        const j = await queue.getJob(`event-${eventId}`);
        return j?.finishedOn ? j : null;
      },
      90_000,
      250,
    );
    const recoveredAfter = Date.now() - killedAt;
    expect(await done.getState()).toBe('completed');
    expect(done.attemptsStarted).toBe(2);
    // The second run saw every recipient and stored only the ones the first had not.
    expect(done.returnvalue).toEqual({ recipients: STUDENTS, stored: STUDENTS - PAGES_BEFORE_CRASH * BATCH });
    expect(await announcements()).toEqual({ n: STUDENTS, users: STUDENTS });
    const wrong = await db.query(
      `select e.user_id, count(n.id)::int as n from academic.enrollments e
         left join notification.notifications n on n.user_id = e.user_id and n.kind = 'ANNOUNCEMENT' and n.event_id = $2
        where e.course_id = $1 group by e.user_id having count(n.id) <> 1`,
      [course, eventId],
    );
    expect(wrong.rows).toEqual([]);
    console.log(`worker crash: ${PAGES_BEFORE_CRASH * BATCH}/${STUDENTS} stored at the kill; all ${STUDENTS} stored once, ${(recoveredAfter / 1000).toFixed(1)} s after it`);
  }, 150_000);

  it('producer killed after its change committed, before the relay enqueued: the event is relayed and delivered once', async () => {
    if (!worker || worker.proc.exitCode !== null) worker = await startWorkerProcess();
    const registered = await stack.query<{ register: Session }>(REGISTER, { input: { email: newEmail(), password: 'a long enough passphrase', displayName: 'Late Student' } });
    const student = registered.data!.register;
    const proxy = await new RedisProxy(stack.env.REDIS_URL!).start();
    closers.push(() => proxy.close());
    const producer = await startAcademicProcess({ REDIS_URL: proxy.url });

    // Redis goes away for the producer only; the change itself needs none of it until after commit.
    proxy.cut = true;
    const signer = new IdentitySigner(stack.identitySecret);
    const headers = signer.headers({ identity: { userId: admin.user.id, role: 'ADMIN' }, requestId: randomUUID(), clientIp: '127.0.0.1' }, { subgraph: 'academic', query: ENROLL });
    // It never answers (after the commit it waits on Redis); the test watches the database instead.
    void gql(producer.graphqlUrl, ENROLL, { c: course, u: student.user.id }, { headers }).catch(() => undefined);
    const pending = `select id, relayed_at from academic.outbox where event->>'kind' = 'ENROLLED' and event->'audience'->'userIds'->>0 = $1`;
    const row = await waitFor('the committed ENROLLED event', async () => (await db.query<{ id: string; relayed_at: Date | null }>(pending, [student.user.id])).rows[0], 15_000, 20);
    expect(await one(`select count(*)::int as n from academic.enrollments where course_id = $1 and user_id = $2`, [course, student.user.id])).toEqual({ n: 1 });
    // The relay took the row and sent it to Redis (the job id is in the bytes the proxy dropped).
    await waitFor('the relay to try the queue', async () => proxy.droppedText().includes(`event-${row.id}`), 5_000, 20);
    await kill(producer.child, 'SIGKILL');

    const jobId = `event-${row.id}`;
    expect(await one(`select relayed_at from academic.outbox where id = $1`, [row.id])).toEqual({ relayed_at: null });
    expect(await queue.getJob(jobId)).toBeUndefined();
    await sleep(1_000);
    const enrolledOf = async () => (await one<{ n: number }>(`select count(*)::int as n from notification.notifications where user_id = $1 and kind = 'ENROLLED'`, [student.user.id])).n;
    expect(await enrolledOf()).toBe(0);

    // Academic again, as deployed: its relay moves what the crashed process left.
    const again = await startAcademicProcess({ OUTBOX_RELAY_INTERVAL_MS: '200' });
    await waitFor('the event relayed', async () => (await one<{ relayed_at: Date | null }>(`select relayed_at from academic.outbox where id = $1`, [row.id])).relayed_at);
    await waitFor('the ENROLLED notification', async () => (await enrolledOf()) === 1);
    await waitFor('the job to complete', async () => (await queue.getJob(jobId))?.finishedOn);
    expect((await queue.getJob(jobId))!.returnvalue).toEqual({ recipients: 1, stored: 1 });

    // Relayed again (a relay that died after enqueueing, before marking): same job id, nothing new.
    await db.query(`update academic.outbox set relayed_at = null where id = $1`, [row.id]);
    await waitFor('the event relayed again', async () => (await one<{ relayed_at: Date | null }>(`select relayed_at from academic.outbox where id = $1`, [row.id])).relayed_at);
    await sleep(1_000);
    expect((await queue.getJob(jobId))!.attemptsStarted).toBe(1);
    // And once more after the queue has trimmed the finished job: it runs again and stores nothing.
    await queue.remove(jobId);
    await db.query(`update academic.outbox set relayed_at = null where id = $1`, [row.id]);
    const rerun = await waitFor('the re-delivered job to complete', async () => {
      const j = await queue.getJob(jobId);
      return j?.finishedOn ? j : null;
    });
    expect(rerun.returnvalue).toEqual({ recipients: 1, stored: 0 });
    expect(await enrolledOf()).toBe(1);
    await kill(again.child, 'SIGTERM');
  }, 90_000);
});
