// `npm run bench:tutor`: the platform's own latency from askTutor to the first delta at the client,
// and delivery to 1,000 concurrent subscribers on one router process — every service a separate
// production process, the language model a local stub (instant for the latency part).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@ai-teacher/shared';
import { type Client, createClient } from 'graphql-ws';
import { WebSocket } from 'ws';
import { LlmStub } from '../test/support/llm-stub.ts';
import { startBenchStackAsAdmin, uploadBook, waitIngested } from './lib.ts';

const LATENCY_QUESTIONS = Number(process.env.BENCH_QUESTIONS ?? 50);
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1000);
const ANSWERS = Number(process.env.BENCH_ANSWERS ?? 20);
const STREAM = `subscription($m: ID!) { tutorAnswer(messageId: $m) { seq done message { status answer { citations { book { title } } } } } }`;

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

async function routerMemory(metricsUrl: string): Promise<{ rss: number; heap: number }> {
  const text = await (await fetch(metricsUrl)).text();
  const read = (name: string) => Number(text.match(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm'))?.[1] ?? NaN);
  return { rss: read('router_process_resident_memory_bytes') || read('process_resident_memory_bytes'), heap: read('router_nodejs_heap_size_used_bytes') || read('nodejs_heap_size_used_bytes') };
}

const llm = new LlmStub({ keepRequests: false });
await llm.start();
const { stack, token, run } = await startBenchStackAsAdmin({ LLM_BASE_URL: llm.url, TUTOR_MAX_CONCURRENT_PER_USER: '100000' });
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

  // 2. 1,000 subscribers on one router, ANSWERS answers streaming at once (the model paced at
  // 25 ms per chunk, so that most events are delivered live).
  llm.chunkDelayMs = 25;
  const before = await routerMemory(`http://127.0.0.1:${stack.ports.routerMetrics}/metrics`);
  const clients = Array.from({ length: SUBSCRIBERS }, () => socket());
  await new Promise((r) => setTimeout(r, 1000)); // sockets connect
  const ids = await Promise.all(Array.from({ length: ANSWERS }, (_, i) => ask(`How do for loops and while loops differ? (${i})`)));
  let peak = before;
  const sampler = setInterval(() => void routerMemory(`http://127.0.0.1:${stack.ports.routerMetrics}/metrics`).then((m) => (peak = m.rss > peak.rss ? m : peak)), 100);
  let events = 0;
  let failed = 0;
  const t0 = performance.now();
  await Promise.all(
    clients.map(async (c, i) => {
      for await (const r of c.iterate<{ tutorAnswer: { done: boolean; message: { status: string } | null } }>({ query: STREAM, variables: { m: ids[i % ids.length] } })) {
        if (r.errors) {
          failed++;
          break;
        }
        events++;
        if (r.data!.tutorAnswer.done) {
          if (r.data!.tutorAnswer.message?.status !== 'COMPLETE') failed++;
          break;
        }
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  const after = await routerMemory(`http://127.0.0.1:${stack.ports.routerMetrics}/metrics`);
  const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;

  console.log(`\nTutor streaming — every service a separate process, NODE_ENV=production, ${process.version}, stub model\n`);
  console.log(`askTutor → first delta at the client (${first.length} questions, one at a time, instant model):`);
  console.log(`  p50 ${percentile(first, 50).toFixed(1)} ms   p95 ${percentile(first, 95).toFixed(1)} ms   (→ last event: p50 ${percentile(done, 50).toFixed(1)} ms, p95 ${percentile(done, 95).toFixed(1)} ms)`);
  console.log(`\n${SUBSCRIBERS} concurrent subscribers (one socket each) on one router, ${ANSWERS} answers streaming at once:`);
  console.log(`  ${events} events delivered in ${seconds.toFixed(1)} s = ${(events / seconds).toFixed(0)} events/s; failed subscriptions: ${failed}`);
  console.log(`  router memory: RSS ${mb(before.rss)} before, ${mb(peak.rss)} peak, ${mb(after.rss)} after (heap used ${mb(before.heap)} → ${mb(after.heap)})\n`);
} finally {
  await Promise.all(sockets.map((s) => s.dispose()));
  await stack.stop();
  await llm.stop();
}
