// The production topology for real, without containers (scripts/lib/prod-stack.ts): nginx rendered
// from nginx/ (HTTP and TLS), two routers, two replicas of every subgraph and of the workers as
// NODE_ENV=production processes, PgBouncer (transaction mode) before a Postgres primary with a
// streaming replica. Everything below goes through nginx: the journey (sign-in, upload, ingest,
// search, a tutor answer over WebSocket), the per-IP limit, TLS and headers, reads on the replica
// with read-your-writes, reloading the router list, and a router and a tutor killed mid-answer.
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { repoRoot } from '@ai-teacher/shared';
import { freePort, gql } from '@ai-teacher/shared/testing';
import { createClient, type Client } from 'graphql-ws';
import pg from 'pg';
import { WebSocket } from 'ws';
import { PROD_ADMIN, startProdStack, type ProdStack, type Proc } from '../../scripts/lib/prod-stack.ts';
import { LlmStub } from '../support/llm-stub.ts';

let stack: ProdStack;
let llm: LlmStub;
let edge: string; // http://…/graphql on nginx
let adminToken: string;
let courseId: string;
let student: { id: string; token: string };
const timings: Record<string, number> = {};
let survivor: Proc;
const clients: Client[] = [];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function run<T = any>(query: string, variables: Record<string, unknown> = {}, token = adminToken): Promise<T> {
  const res = await gql(edge, query, variables, { token });
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data as T;
}

const STREAM = `subscription($m: ID!, $a: Int) { tutorAnswer(messageId: $m, afterSeq: $a) { seq delta done message { status content } } }`;
interface Ev { seq: number; delta: string | null; done: boolean; message: { status: string; content: string } }

function ws(token: string): Client {
  const c = createClient({ url: edge.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: true, connectionParams: { authorization: `Bearer ${token}` } });
  clients.push(c);
  return c;
}

/** Follows an answer to its end through the edge; on an error or a dropped socket, resubscribes with afterSeq. */
async function follow(messageId: string, token: string, onEvent: (e: Ev) => void = () => undefined) {
  const events: Ev[] = [];
  // why: `error` (the subscription ended with an error: its tutor went away), `closed` (the socket: its router)
  const resumes: { at: number; why: 'error' | 'closed'; firstEventAfter?: number }[] = [];
  for (let attempt = 0; attempt < 20; attempt++) {
    const c = ws(token);
    let why: 'error' | 'closed' = 'closed';
    try {
      const last = events.at(-1)?.seq;
      for await (const r of c.iterate<{ tutorAnswer: Ev }>({ query: STREAM, variables: { m: messageId, ...(last ? { a: last } : {}) } })) {
        if (r.errors) {
          why = 'error';
          break;
        }
        const e = r.data!.tutorAnswer;
        const pending = resumes.at(-1);
        if (pending && pending.firstEventAfter === undefined) pending.firstEventAfter = performance.now();
        events.push(e);
        onEvent(e);
        if (e.done) return { events, resumes };
      }
    } catch {
      // the socket went away (its router was killed)
    } finally {
      void c.dispose();
    }
    resumes.push({ at: performance.now(), why });
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no end after 20 attempts: ${events.length} events`);
}

function expectWhole(events: Ev[]) {
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  const last = events.at(-1)!;
  expect(last).toMatchObject({ done: true, message: { status: 'COMPLETE' } });
  expect(events.slice(0, -1).map((e) => e.delta).join('')).toBe(last.message.content);
}

async function ask(question: string, token = student.token): Promise<string> {
  const session = (await run(`mutation($c: ID!) { startChatSession(courseId: $c) { id } }`, { c: courseId }, token)).startChatSession.id;
  return (await run(`mutation Ask($s: ID!, $q: String!) { askTutor(sessionId: $s, question: $q) { id status } }`, { s: session, q: question }, token)).askTutor.id;
}

/** Calls of statements on academic's tables, on one server (pg_stat_statements). */
async function academicCalls(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query(`select coalesce(sum(calls), 0)::int as n from pg_stat_statements where query ilike '%"academic".%' and query ilike 'select%'`);
    return rows[0].n as number;
  } finally {
    await c.end();
  }
}

function httpsGet(url: string, body?: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string; protocol: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method: body ? 'POST' : 'GET', ca: stack.caPem, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      let text = '';
      const protocol = (res.socket as TLSSocket).getProtocol() ?? ''; // now: a keep-alive socket is released at 'end'
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text, protocol }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const metricSum = async (url: string, re: RegExp) =>
  (await (await fetch(`${url}/metrics`)).text())
    .split('\n')
    .filter((l) => re.test(l))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);

beforeAll(async () => {
  llm = new LlmStub({ keepRequests: false });
  await llm.start();
  const t = performance.now();
  stack = await startProdStack({ llmBaseUrl: llm.url });
  timings['stack start'] = performance.now() - t;
  edge = `${stack.httpUrl}/graphql`;
}, 400_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await stack?.stop();
  await llm?.stop();
  const startup = Object.entries(stack?.startup ?? {}).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`).join(', ');
  console.log(['prod topology timings:', `  stack start, cumulative: ${startup}`, ...Object.entries(timings).map(([k, v]) => `  ${k.padEnd(34)} ${(v / 1000).toFixed(2)} s`)].join('\n'));
}, 60_000);

describe('the journey through nginx', () => {
  it('signs in, sets up a course, uploads and ingests a book, searches it', async () => {
    let t = performance.now();
    adminToken = (await run(`mutation($i: LoginInput!) { login(input: $i) { accessToken } }`, { i: PROD_ADMIN }, '')).login.accessToken;
    timings['sign-in'] = performance.now() - t;
    await run(`mutation($d: String!) { importAcademicData(format: CSV, document: $d) { applied } }`, {
      d: 'faculty,department,semester,course_code,course_title\nScience,Biology,Fall 2026,BIO101,Biology I',
    });
    const tree = await run(`{ faculties { departments { semesters { courses { id code } } } } }`);
    courseId = tree.faculties[0].departments[0].semesters[0].courses[0].id;
    const reg = await run(`mutation($i: RegisterInput!) { register(input: $i) { accessToken user { id } } }`, { i: { email: 'ada@uni.test', password: 'a long enough passphrase', displayName: 'Ada' } }, '');
    student = { id: reg.register.user.id, token: reg.register.accessToken };
    await run(`mutation($c: ID!, $u: ID!) { enrollStudent(courseId: $c, userId: $u) { id } }`, { c: courseId, u: student.id });

    const bookId = (await run(`mutation($c: ID!) { createBook(courseId: $c, title: "Biology 2e", authors: ["OpenStax"]) { id } }`, { c: courseId })).createBook.id;
    t = performance.now();
    const form = new FormData();
    form.append('operations', JSON.stringify({ query: 'mutation($b: ID!, $f: Upload!) { uploadBookFile(bookId: $b, file: $f) { status } }', variables: { b: bookId, f: null } }));
    form.append('map', JSON.stringify({ 0: ['variables.f'] }));
    form.append('0', new Blob([readFileSync(join(repoRoot, '..', 'shared', 'data', 'textbooks', 'biology-2e-excerpt.pdf'))], { type: 'application/pdf' }), 'biology.pdf');
    const up = (await (await fetch(edge, { method: 'POST', body: form, headers: { authorization: `Bearer ${adminToken}`, 'apollo-require-preflight': 'true' } })).json()) as { errors?: unknown };
    expect(up.errors).toBeUndefined();
    for (;;) {
      const books = (await run(`query($c: ID!) { course(id: $c) { books { id ingestion { status error chunkCount } } } }`, { c: courseId })).course.books;
      const ing = books.find((b: { id: string }) => b.id === bookId).ingestion;
      if (ing?.status === 'FAILED') throw new Error(ing.error);
      if (ing?.status === 'READY') {
        expect(ing.chunkCount).toBeGreaterThan(10);
        break;
      }
      if (performance.now() - t > 120_000) throw new Error(`ingestion: ${JSON.stringify(ing)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    timings['upload + ingest'] = performance.now() - t;
    const hits = (await run(`query($c: ID!) { searchCourseMaterial(courseId: $c, query: "isotopes of carbon", limit: 3) { text } }`, { c: courseId }, student.token)).searchCourseMaterial;
    expect(hits.length).toBeGreaterThan(0);
  }, 180_000);

  it('the tutor answer streams over WebSocket through nginx, unbuffered', async () => {
    const t = performance.now();
    const messageId = await ask('What is an isotope? SLOW');
    let first: number | undefined;
    const arrivals: number[] = [];
    const { events, resumes } = await follow(messageId, student.token, () => {
      first ??= performance.now();
      arrivals.push(performance.now());
    });
    timings['ask → first tutor delta (nginx, WS)'] = first! - t;
    timings['whole answer through nginx'] = performance.now() - t;
    expectWhole(events);
    expect(resumes).toHaveLength(0);
    // Not buffered: the deltas arrive spread over the answer (the stub sends one every 40 ms), not in one burst.
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThan(1_000);
  }, 60_000);
});

describe('reads on the replica, read-your-writes for the writer', () => {
  it('the replica streams from the primary', async () => {
    const c = new pg.Client({ connectionString: stack.primaryUrl });
    await c.connect();
    const { rows } = await c.query(`select state from pg_stat_replication`);
    await c.end();
    expect(rows).toEqual([{ state: 'streaming' }]);
  });

  it("a reader with no recent writes is served by the replica", async () => {
    await new Promise((r) => setTimeout(r, 5_500)); // the student's own writes (askTutor) age out
    const [p0, r0] = [await academicCalls(stack.primaryUrl), await academicCalls(stack.replicaUrl)];
    for (let i = 0; i < 10; i++) expect((await run(`{ myCourses { id } }`, {}, student.token)).myCourses).toEqual([{ id: courseId }]);
    const [p1, r1] = [await academicCalls(stack.primaryUrl), await academicCalls(stack.replicaUrl)];
    expect(r1 - r0).toBeGreaterThanOrEqual(10);
    expect(p1 - p0).toBeLessThan(3);
  });

  it('right after enrolling a student, the admin who did it sees the enrolment, read from the primary', async () => {
    const other = await run(`mutation($i: RegisterInput!) { register(input: $i) { user { id } } }`, { i: { email: 'grace@uni.test', password: 'a long enough passphrase', displayName: 'Grace' } }, '');
    const [p0, r0] = [await academicCalls(stack.primaryUrl), await academicCalls(stack.replicaUrl)];
    await run(`mutation($c: ID!, $u: ID!) { enrollStudent(courseId: $c, userId: $u) { id } }`, { c: courseId, u: other.register.user.id });
    const roster = await run(`query($c: ID!) { course(id: $c) { studentsConnection { totalCount edges { node { id } } } } }`, { c: courseId });
    expect(roster.course.studentsConnection.edges.map((e: { node: { id: string } }) => e.node.id)).toContain(other.register.user.id);
    for (let i = 0; i < 10; i++) await run(`query($c: ID!) { course(id: $c) { studentsConnection { totalCount } } }`, { c: courseId });
    const [p1, r1] = [await academicCalls(stack.primaryUrl), await academicCalls(stack.replicaUrl)];
    expect(p1 - p0).toBeGreaterThanOrEqual(11);
    expect(r1 - r0).toBeLessThan(3);
  });
});

describe('the edge', () => {
  it('TLS with the certificate made for the run (snippets/tls.conf is in use); HSTS only there', async () => {
    const health = await httpsGet(`${stack.httpsUrl}/health`);
    expect(health.status).toBe(200);
    expect(['TLSv1.2', 'TLSv1.3']).toContain(health.protocol);
    expect(health.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    const me = await httpsGet(`${stack.httpsUrl}/graphql`, JSON.stringify({ query: '{ __typename }' }));
    expect(JSON.parse(me.body)).toEqual({ data: { __typename: 'Query' } });
    const plain = await fetch(`${stack.httpUrl}/health`);
    expect(plain.headers.get('strict-transport-security')).toBeNull();
  });

  it('sends the security headers and a strict CSP in production; the development CSP admits Apollo Sandbox', async () => {
    for (const res of [await fetch(`${stack.httpUrl}/health`), await fetch(edge, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' }), await httpsGet(`${stack.httpsUrl}/nope`)]) {
      const h = (n: string) => (res.headers instanceof Headers ? res.headers.get(n) : (res.headers[n] as string));
      expect(h('x-content-type-options')).toBe('nosniff');
      expect(h('x-frame-options')).toBe('DENY');
      expect(h('referrer-policy')).toBe('no-referrer');
      expect(h('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
    }
    // Every script and frame origin the router's development landing page uses is allowed.
    const plugin = ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false });
    const listener = await plugin.serverWillStart!({} as never);
    const page = await (listener as { renderLandingPage: () => Promise<{ html: () => Promise<string> }> }).renderLandingPage();
    const html = await page.html();
    const csp = /Content-Security-Policy "([^"]+)"/.exec(readFileSync(join(repoRoot, 'nginx', 'snippets', 'csp-development.conf'), 'utf8'))![1]!;
    const directive = (name: string) => csp.split(';').map((d) => d.trim()).find((d) => d.startsWith(`${name} `)) ?? '';
    const scripts = [...html.matchAll(/<script[^>]*src="(https:\/\/[^/"]+)/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    for (const origin of scripts) expect(directive('script-src')).toContain(origin);
    expect(directive('frame-src')).toContain('https://sandbox.embed.apollographql.com');
  });

  it('answers bursts over the per-address limit with 429 from nginx', async () => {
    const statuses = await Promise.all(Array.from({ length: 150 }, () => fetch(edge, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' }).then((r) => r.status)));
    const limited = statuses.filter((s) => s === 429).length;
    expect(limited).toBeGreaterThan(50);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(60); // the burst
    await new Promise((r) => setTimeout(r, 2_500)); // the bucket drains (30 r/s)
  });
});

describe('failures and changes behind the edge', () => {
  it('a router and a tutor killed mid-answer: every client resumes on the others with afterSeq and misses nothing', async () => {
    llm.chunkDelayMs = 60;
    // askTutor only: the chat session may be started through the other router, on the other tutor.
    const mutations = async (p: Proc) => metricSum(p.url, /^graphql_operations_total\{.*operation="Ask__tutor__\d+".*type="mutation"/);
    const tutors = stack.subgraphs.tutor!;
    const before = await Promise.all(tutors.map(mutations));
    const messageId = await ask('Explain atomic mass to me');
    const after = await Promise.all(tutors.map(mutations));
    // Replica i of each service is in zone i and router i calls zone i's replicas first. The tutor
    // that generates (the asking router's) stays: it publishes to Redis for whoever serves the
    // subscribers. Killed: that router (its subscribers lose their socket) and the other zone's
    // tutor (the surviving router's subscriptions to it end with an error), both with SIGKILL.
    expect(after.map((n, i) => n - before[i]!).sort()).toEqual([0, 1]);
    const generator = after[0]! > before[0]! ? 0 : 1;
    const victimTutor = tutors[1 - generator]!;
    const victimRouter = stack.routers[generator]!;
    survivor = stack.routers[1 - generator]!;
    const seen = new Array(4).fill(0) as number[];
    let killedAt = 0;
    const followers = seen.map((_, i) => follow(messageId, student.token, () => (seen[i]! += 1)));
    while (seen.some((n) => n < 3)) await new Promise((r) => setTimeout(r, 20));
    killedAt = performance.now();
    await Promise.all([stack.kill(victimRouter, 'SIGKILL'), stack.kill(victimTutor, 'SIGKILL')]);
    const results = await Promise.all(followers);
    llm.chunkDelayMs = 0;
    for (const r of results) expectWhole(r.events);
    const resumed = results.flatMap((r) => r.resumes).filter((r) => r.at >= killedAt);
    // Both kills interrupted someone: clients on the killed router, and clients whose router lost its tutor.
    expect(new Set(resumed.map((r) => r.why))).toEqual(new Set(['closed', 'error']));
    timings['resume after kill (slowest client)'] = Math.max(...resumed.map((r) => (r.firstEventAfter ?? r.at) - killedAt));
    console.log(`kill mid-answer: ${resumed.length} of ${results.length} clients resumed (${resumed.map((r) => r.why).join(', ')}); ${results.map((r) => r.events.length).join('/')} events each`);
    // And the edge keeps serving on the remaining router.
    expect((await run(`{ myCourses { id } }`, {}, student.token)).myCourses).toHaveLength(1);
  }, 90_000);

  it('the router list is rewritten and nginx reloaded: a new router takes traffic; /health follows the routers', async () => {
    const t = performance.now();
    const fresh = await stack.startRouter();
    timings['new router ready'] = performance.now() - t;
    await stack.setEdgeRouters([fresh]);
    const mark = stack.accessLog().length;
    for (let i = 0; i < 6; i++) await run(`{ myCourses { id } }`, {}, student.token);
    const upstreams = new Set(stack.accessLog().slice(mark).filter((l) => l.uri === '/graphql').map((l) => l.upstream));
    expect([...upstreams]).toEqual([`127.0.0.1:${fresh.port}`]);
    // /health is the routers' readiness, not a fixed reply: with no router answering it fails.
    const nothing = await freePort();
    await stack.setEdgeRouters([{ ...fresh, port: nothing }]);
    expect((await fetch(`${stack.httpUrl}/health`)).status).toBeGreaterThanOrEqual(502);
    await stack.setEdgeRouters([survivor, fresh]);
    expect((await fetch(`${stack.httpUrl}/health`)).status).toBe(200);
  }, 90_000);
});
