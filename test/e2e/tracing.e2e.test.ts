// Tracing across every hop, through the real in-process stack: one askTutor is one trace from the
// router through tutor, retrieval and academic to the model; one upload is one trace through the
// ingest job; with tracing off (the default) nothing is recorded and no trace header is sent.
// Spans go to an in-memory exporter (jest's VM modules cannot be patched, so these are the kit's
// own spans: what every process has whether or not auto-instrumentation loaded).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { repoRoot, SERVICE_ATTRIBUTE, tracingEnabled } from '@ai-teacher/shared';
import { type ReadableSpan, startTestTracing, type TestTracing } from '@ai-teacher/shared/testing';
import { Redis } from 'ioredis';
import { collect, uploadBook, userWithRole, waitForIngestion, wsClient } from '../support/course.ts';
import { LlmStub } from '../support/llm-stub.ts';
import { ADMIN, login, type Session, startStack, type Stack } from '../support/stack.ts';

const data = join(repoRoot, '..', 'shared', 'data');
const llm = new LlmStub();
let stack: Stack;
let admin: Session;
let student: { id: string; token: string };
let course: string;
let book: string;
let session: string;
let tracing: TestTracing | undefined;

const ASK = `mutation AskTutor($s: ID!, $q: String!) { askTutor(sessionId: $s, question: $q) { id status } }`;
const MESSAGES = `query Messages($id: ID!) { chatSession(id: $id) { messages { id status } } }`;

async function run(q: string, v: Record<string, unknown> = {}, token = admin.accessToken) {
  const r = await stack.query(q, v, token);
  if (r.errors) throw new Error(JSON.stringify(r.errors));
  return r.data!;
}

async function askAndWait(question: string): Promise<string> {
  const id = (await run(ASK, { s: session, q: question }, student.token)).askTutor.id as string;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const messages = (await run(MESSAGES, { id: session }, student.token)).chatSession.messages as { id: string; status: string }[];
    const status = messages.find((m) => m.id === id)?.status;
    if (status === 'COMPLETE') return id;
    if (status === 'FAILED' || Date.now() > deadline) throw new Error(`answer ${id} is ${status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function waitForSpan(t: TestTracing, match: (s: ReadableSpan) => boolean): Promise<ReadableSpan> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const found = t.spans().find(match);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no such span among ${t.spans().map((s) => s.name).join(', ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const serviceOf = (s: ReadableSpan) => String(s.attributes[SERVICE_ATTRIBUTE] ?? s.instrumentationScope.name);
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

/** The trace as an indented tree: `name [service] duration`. */
function tree(spans: ReadableSpan[]): string {
  const ms = (s: ReadableSpan) => (s.duration[0] * 1e3 + s.duration[1] / 1e6).toFixed(1);
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number) => {
    const children = spans.filter((s) => parentOf(s) === parent).sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
    for (const s of children) {
      lines.push(`${'  '.repeat(depth)}${s.name} [${serviceOf(s)}] ${ms(s)} ms`);
      walk(s.spanContext().spanId, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines.join('\n');
}

/** Every span of one trace is linked to another of the same trace, up to a single root. */
function expectOneConnectedTrace(spans: ReadableSpan[]): void {
  const ids = new Set(spans.map((s) => s.spanContext().spanId));
  const roots = spans.filter((s) => !parentOf(s));
  expect(roots).toHaveLength(1);
  for (const s of spans) if (parentOf(s)) expect(ids.has(parentOf(s)!)).toBe(true);
}

beforeAll(async () => {
  await llm.start();
  stack = await startStack({ tutorEnv: { LLM_BASE_URL: llm.url, LLM_MODEL: 'stub-model' } });
  admin = (await login(stack, ADMIN.email, ADMIN.password)).data!.login;
  student = await userWithRole(stack, admin, 'STUDENT');
  await run(`mutation($d: String!) { importAcademicData(format: CSV, document: $d) { applied } }`, { d: 'faculty,department,semester,course_code,course_title\nScience,Biology,Fall,BIO1,Chemistry of life' });
  course = (await run(`{ faculties { departments { semesters { courses { id } } } } }`)).faculties[0].departments[0].semesters[0].courses[0].id;
  await run(`mutation($c: ID!, $u: ID!) { enrollStudent(courseId: $c, userId: $u) { id } }`, { c: course, u: student.id });
  book = (await run(`mutation($c: ID!) { createBook(courseId: $c, title: "Biology 2e", authors: ["OpenStax"]) { id } }`, { c: course })).createBook.id;
  session = (await run(`mutation($c: ID!) { startChatSession(courseId: $c) { id } }`, { c: course }, student.token)).startChatSession.id;
}, 120_000);

afterAll(async () => {
  await tracing?.stop();
  await stack?.stop();
  await llm.stop();
});

describe('with tracing on', () => {
  beforeAll(async () => {
    tracing = await startTestTracing();
  });
  afterAll(async () => {
    await tracing?.stop();
    tracing = undefined;
  });

  it('one upload is one trace, through the ingest job in the worker', async () => {
    const t = tracing!;
    const res = await uploadBook(stack, book, readFileSync(join(data, 'bad-inputs', 'garbage-xref.pdf')), 'atoms.pdf', admin.accessToken);
    expect(res.errors).toBeUndefined();
    expect(await waitForIngestion(stack, admin.accessToken, course, book)).toMatchObject({ status: 'READY' });
    const request = await waitForSpan(t, (s) => serviceOf(s) === 'router' && s.attributes['graphql.operation.type'] === 'mutation' && !parentOf(s));
    const job = await waitForSpan(t, (s) => s.name === 'process ingest-book');
    expect(job.spanContext().traceId).toBe(request.spanContext().traceId);
    expect(serviceOf(job)).toBe('workers');
    const trace = t.spans().filter((s) => s.spanContext().traceId === request.spanContext().traceId);
    const names = trace.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['subgraph retrieval', 'send ingest-book', 'process ingest-book']));
    // The job's span continues the producer's span, which the upload request's span contains.
    const send = trace.find((s) => s.name === 'send ingest-book')!;
    expect(parentOf(job)).toBe(send.spanContext().spanId);
    expect(serviceOf(send)).toBe('retrieval');
    expectOneConnectedTrace(trace);
  }, 120_000);

  it('one askTutor is one trace: router → tutor → retrieval and academic → the model', async () => {
    const t = tracing!;
    // A cold course-scope cache, so the trace shows the academic hops (they are cached once answered).
    const redis = new Redis(stack.env.REDIS_URL!);
    const keys = await redis.keys(`${stack.env.REDIS_KEY_PREFIX}course-scope:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
    t.reset();
    const llmCalls = llm.headers.length;

    const messageId = await askAndWait('What is an isotope of an atom?');
    const answer = await waitForSpan(t, (s) => s.name === 'tutor answer' && s.attributes['ai_teacher.message.id'] === messageId);
    const traceId = answer.spanContext().traceId;
    const trace = t.spans().filter((s) => s.spanContext().traceId === traceId);
    if (process.env.SHOW_TRACE) console.log(tree(trace));

    const root = trace.find((s) => !parentOf(s))!;
    expect(root.name).toBe('mutation AskTutor');
    expect(serviceOf(root)).toBe('router');
    // Exam too: a student is refused the tutor while sitting an exam in the course.
    expect(new Set(trace.map(serviceOf))).toEqual(new Set(['router', 'tutor', 'retrieval', 'academic', 'exam']));
    const names = trace.map((s) => s.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'mutation AskTutor', // router, SERVER
        'subgraph tutor', // router → tutor, CLIENT
        'POST /internal/search', // tutor → retrieval (CLIENT) and retrieval's SERVER span
        'POST /internal/course-access', // → academic (from tutor and from retrieval)
        'POST /internal/exam/lock', // → exam
        'tutor answer',
        'chat stub-model', // the model call
      ]),
    );
    expect(names.filter((n) => n === 'POST /internal/search')).toHaveLength(2);
    expect(trace.find((s) => serviceOf(s) === 'tutor' && s.name.startsWith('mutation '))).toBeDefined();
    expectOneConnectedTrace(trace);
    // The model's endpoint got the trace too.
    expect(llm.headers.length).toBe(llmCalls + 1);
    const chat = trace.find((s) => s.name === 'chat stub-model')!;
    expect(llm.headers.at(-1)!.traceparent).toBe(`00-${traceId}-${chat.spanContext().spanId}-01`);

    // The tutorAnswer subscription (over WebSocket, later) is a trace of its own, linked to this one.
    const client = wsClient(stack.routerUrl, student.token);
    try {
      const events = await collect<{ tutorAnswer: { done: boolean } }>(client, `subscription($m: ID!) { tutorAnswer(messageId: $m) { seq done } }`, { m: messageId }, (r) => !!r.at(-1)?.data?.tutorAnswer?.done || !!r.at(-1)?.errors);
      expect(events.at(-1)?.data?.tutorAnswer.done).toBe(true);
    } finally {
      await client.dispose();
    }
    const subscription = await waitForSpan(t, (s) => s.name === 'subscription tutorAnswer' && s.attributes['ai_teacher.message.id'] === messageId);
    expect(subscription.spanContext().traceId).not.toBe(traceId);
    expect(subscription.links.map((l) => l.context.traceId)).toEqual([traceId]);
  }, 60_000);
});

describe('with tracing off (the default)', () => {
  it('records nothing and sends no trace context', async () => {
    expect(tracingEnabled()).toBe(false);
    const before = llm.headers.length;
    await askAndWait('How many neutrons does an isotope of an atom have?');
    expect(llm.headers.length).toBe(before + 1);
    expect(llm.headers.at(-1)!.traceparent).toBeUndefined();
  }, 60_000);
});
