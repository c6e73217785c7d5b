// `npm run bench:tutor`: the platform's own latency from askTutor to the first delta at the client,
// and delivery to 10,000 concurrent subscribers on one router process — every service a separate
// production process, the language model a local stub (instant for the latency part).
//
// Every subscriber is a socket of its own, as 10,000 students' browsers would be. They all sign in
// as the bench's one admin from one address, so the per-user and per-address socket caps are raised
// for the bench (WS_MAX_SOCKETS_PER_USER, WS_MAX_SOCKETS_PER_IP), and the per-user cost budget
// (RATE_LIMIT_USER_COST) that 10,000 users would each have. Every subscriber must receive every
// event of its answer (seq 1, 2, … to the final one) in order: the bench exits non-zero otherwise.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@ai-teacher/shared';
import { type Client, createClient } from 'graphql-ws';
import { WebSocket } from 'ws';
import { LlmStub } from '../test/support/llm-stub.ts';
import { startBenchStackAsAdmin, uploadBook, waitIngested } from './lib.ts';

const LATENCY_QUESTIONS = Number(process.env.BENCH_QUESTIONS ?? 50);
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 10_000);
/** Subscriptions per socket (default 1: a browser each); e.g. 4 for students whose one connection carries several. */
const PER_SOCKET = Math.max(1, Number(process.env.BENCH_SUBSCRIPTIONS_PER_SOCKET ?? 1));
const SOCKETS = Math.ceil(SUBSCRIBERS / PER_SOCKET);
const ANSWERS = Number(process.env.BENCH_ANSWERS ?? 20);
const STREAM = `subscription($m: ID!) { tutorAnswer(messageId: $m) { seq done message { status answer { citations { book { title } } } } } }`;
/**
 * What the many subscribers stream: what a chat view needs of each event (the delta to append, and
 * whether the answer is done), all from the tutor subgraph, so the router shapes each event without
 * a further fetch. BENCH_FANOUT_QUERY=content also asks for the whole text so far on every event
 * (each event then carries the answer up to it: bytes grow with the square of its length);
 * BENCH_FANOUT_QUERY=federated streams STREAM (book titles from the academic subgraph: the rest of
 * the plan runs for every event).
 */
const FANOUT_QUERIES: Record<string, string> = {
  deltas: `subscription($m: ID!) { tutorAnswer(messageId: $m) { seq delta done message { status } } }`,
  content: `subscription($m: ID!) { tutorAnswer(messageId: $m) { seq delta done message { status content } } }`,
  federated: STREAM,
};
const FANOUT_NAME = process.env.BENCH_FANOUT_QUERY ?? 'deltas';
const FANOUT = FANOUT_QUERIES[FANOUT_NAME];
if (!FANOUT) throw new Error(`BENCH_FANOUT_QUERY must be one of ${Object.keys(FANOUT_QUERIES).join(', ')}`);

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

async function routerMemory(metricsUrl: string): Promise<{ rss: number; heap: number; upstream: number }> {
  const text = await (await fetch(metricsUrl)).text();
  const read = (name: string) => Number(text.match(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm'))?.[1] ?? NaN);
  return { rss: read('router_process_resident_memory_bytes') || read('process_resident_memory_bytes'), heap: read('router_nodejs_heap_size_used_bytes') || read('nodejs_heap_size_used_bytes'), upstream: read('graphql_subscriptions_upstream_active') };
}

const llm = new LlmStub({ keepRequests: false });
await llm.start();
const caps = String(SOCKETS + 100);
const { stack, token, run } = await startBenchStackAsAdmin({
  LLM_BASE_URL: llm.url,
  TUTOR_MAX_CONCURRENT_PER_USER: '100000',
  WS_MAX_SOCKETS_PER_USER: caps,
  WS_MAX_SOCKETS_PER_IP: caps,
  RATE_LIMIT_USER_COST: '0',
});
const sockets: Client[] = [];
try {
  await run(`mutation($d: String!) { importAcademicData(format: CSV, document: $d) { applied } }`, { d: 'faculty,department,semester,course_code,course_title\nScience,CS,Fall,PY1,Python' });
  const courseId = (await run(`{ faculties { departments { semesters { courses { id } } } } }`)).faculties[0].departments[0].semesters[0].courses[0].id as string;
  const bookId = (await run(`mutation($c: ID!) { createBook(courseId: $c, title: "Introduction to Python Programming", authors: ["OpenStax"]) { id } }`, { c: courseId })).createBook.id as string;
  await uploadBook(stack.routerUrl, token, bookId, readFileSync(join(repoRoot, '..', 'shared', 'data', 'textbooks', 'intro-python-programming.pdf')), 'python.pdf');
  if ((await waitIngested(stack.routerUrl, token, courseId, bookId)).status !== 'READY') throw new Error('ingestion failed');
  const session = (await run(`mutation($c: ID!) { startChatSession(courseId: $c) { id } }`, { c: courseId })).startChatSession.id as string;
  const ask = async (q: string) => (await run(`mutation($s: ID!, $q: String!) { askTutor(sessionId: $s, question: $q) { id } }`, { s: session, q })).askTutor.id as string;
  const socket = () => {
    const c = createClient({ url: stack.routerUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, lazy: false, retryAttempts: 0 });
    sockets.push(c);
    return c;
  };
  const questions = readFileSync(join(repoRoot, '..', 'shared', 'data', 'qa', 'dev.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { question: string }).question);

  // 1. askTutor → first delta at the client, one question at a time, on an open socket.
  const client = socket();
  const first: number[] = [];
  const done: number[] = [];
  for (let i = 0; i < LATENCY_QUESTIONS + 5; i++) {
    const t0 = performance.now();
    const id = await ask(`${questions[i % questions.length]} (${i})`);
    let tFirst = 0;
    for await (const r of client.iterate<{ tutorAnswer: { seq: number; done: boolean } }>({ query: STREAM, variables: { m: id } })) {
      if (r.errors) throw new Error(JSON.stringify(r.errors));
      if (!tFirst) tFirst = performance.now();
      if (r.data!.tutorAnswer.done) break;
    }
    if (i >= 5) {
      // the first few warm up JIT, pools and caches
      first.push(tFirst - t0);
      done.push(performance.now() - t0);
    }
  }

  // 2. SUBSCRIBERS subscribers on one router (a socket each), ANSWERS answers streaming at once
  // (the model paced at 25 ms per chunk, so that most events are delivered live).
  llm.chunkDelayMs = 25;
  const metricsUrl = `http://127.0.0.1:${stack.ports.routerMetrics}/metrics`;
  const before = await routerMemory(metricsUrl);
  let peak = before;
  let upstreamPeak = 0;
  const sampler = setInterval(
    () =>
      void routerMemory(metricsUrl).then((m) => {
        peak = m.rss > peak.rss ? m : peak;
        upstreamPeak = Math.max(upstreamPeak, m.upstream);
      }, () => undefined),
    100,
  );
  // Sockets connect 200 at a time (each is a token check and two socket-cap leases in Redis).
  const clients: Client[] = [];
  const connectStarted = performance.now();
  for (let i = 0; i < SOCKETS; i += 200) {
    const batch = Array.from({ length: Math.min(200, SOCKETS - i) }, () => socket());
    await Promise.all(batch.map((c) => new Promise<void>((resolve, reject) => {
      c.on('connected', () => resolve());
      c.on('closed', (e) => reject(new Error(`socket closed before it connected: ${(e as { code?: number; reason?: string }).code} ${(e as { reason?: string }).reason ?? ''}`)));
    })));
    clients.push(...batch);
  }
  const connectSeconds = (performance.now() - connectStarted) / 1000;
  const connected = await routerMemory(metricsUrl);
  const ids = await Promise.all(Array.from({ length: ANSWERS }, (_, i) => ask(`How do for loops and while loops differ? (${i})`)));
  let events = 0;
  let failed = 0;
  let outOfOrder = 0;
  /** Each subscriber's last seq and how many events it received. */
  const lastSeq = new Array<number>(SUBSCRIBERS).fill(0);
  const received = new Array<number>(SUBSCRIBERS).fill(0);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: SUBSCRIBERS }, async (_, i) => {
      const c = clients[Math.floor(i / PER_SOCKET)]!;
      try {
        for await (const r of c.iterate<{ tutorAnswer: { seq: number; done: boolean; message: { status: string } | null } }>({ query: FANOUT, variables: { m: ids[i % ids.length] } })) {
          if (r.errors) {
            if (!failed++) console.error(`subscriber ${i}: ${JSON.stringify(r.errors)}`);
            return;
          }
          events++;
          received[i]!++;
          const { seq, done, message } = r.data!.tutorAnswer;
          if (seq !== lastSeq[i]! + 1) outOfOrder++;
          lastSeq[i] = seq;
          if (done) {
            if (message?.status !== 'COMPLETE') failed++;
            return;
          }
        }
        failed++; // completed without the final event
      } catch (err) {
        if (!failed++) console.error(`subscriber ${i}: ${err instanceof Error ? err.message : JSON.stringify(err)}`);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  const after = await routerMemory(metricsUrl);
  // Every answer's events as stored (a fresh subscription replays them all): what each subscriber should have had.
  const checker = socket();
  const totals = await Promise.all(
    ids.map(async (m) => {
      let n = 0;
      for await (const r of checker.iterate<{ tutorAnswer: { seq: number; done: boolean } }>({ query: FANOUT, variables: { m } })) {
        if (r.errors) throw new Error(JSON.stringify(r.errors));
        n++;
        if (r.data!.tutorAnswer.seq !== n) throw new Error(`answer ${m}: seq ${r.data!.tutorAnswer.seq} as event ${n}`);
        if (r.data!.tutorAnswer.done) break;
      }
      return n;
    }),
  );
  const expectedEvents = received.reduce((sum, _, i) => sum + totals[i % ids.length]!, 0);
  // Lost: events of its answer a subscriber never received (skipped, or after its subscription failed).
  const lost = received.reduce((sum, n, i) => sum + Math.max(0, totals[i % ids.length]! - n), 0);
  const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;

  console.log(`\nTutor streaming — every service a separate process, NODE_ENV=production, ${process.version}, stub model\n`);
  console.log(`askTutor → first delta at the client (${first.length} questions, one at a time, instant model):`);
  console.log(`  p50 ${percentile(first, 50).toFixed(1)} ms   p95 ${percentile(first, 95).toFixed(1)} ms   (→ last event: p50 ${percentile(done, 50).toFixed(1)} ms, p95 ${percentile(done, 95).toFixed(1)} ms)`);
  console.log(`\n${SUBSCRIBERS} concurrent subscriptions (${PER_SOCKET === 1 ? 'one socket each' : `${PER_SOCKET} per socket, ${SOCKETS} sockets`}, connected in ${connectSeconds.toFixed(1)} s) on one router, ${ANSWERS} answers streaming at once, query "${FANOUT_NAME}":`);
  console.log(`  ${events} of ${expectedEvents} events delivered in ${seconds.toFixed(1)} s = ${(events / seconds).toFixed(0)} events/s; failed subscriptions: ${failed}; lost events: ${lost}; out of order: ${outOfOrder}`);
  console.log(`  subgraph subscriptions behind them (identical ones opened together share one): at most ${upstreamPeak} open at once`);
  console.log(`  router memory: RSS ${mb(before.rss)} before, ${mb(connected.rss)} with every socket open, ${mb(peak.rss)} peak, ${mb(after.rss)} after (heap used ${mb(before.heap)} → ${mb(connected.heap)} → ${mb(after.heap)})\n`);
  if (failed || lost || outOfOrder) process.exitCode = 1;
} finally {
  await Promise.all(sockets.map((s) => s.dispose()));
  await stack.stop();
  await llm.stop();
}
