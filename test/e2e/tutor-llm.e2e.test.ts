// The tutor with a language model: the real `openai` SDK against a local OpenAI-compatible
// streaming server. Answers stream as the model writes them, citations are checked to be verbatim,
// failures end the message FAILED with a reason, limits hold, generation does not need a
// subscriber, and with two routers and two tutors an answer generated on one reaches a subscriber
// on the other.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RunningRouter } from '@ai-teacher/router';
import { repoRoot, type RunningSubgraph } from '@ai-teacher/shared';
import { errorCode } from '@ai-teacher/shared/testing';
import { startTutorSubgraph } from '@ai-teacher/tutor';
import type { Client } from 'graphql-ws';
import { waitFor } from '../support/assertions.ts';
import { collect, uploadBook, userWithRole, waitForIngestion, wsClient } from '../support/course.ts';
import { LlmStub, passageOf } from '../support/llm-stub.ts';
import { ADMIN, login, startRouterWithTutor, startStack, type Session, type Stack } from '../support/stack.ts';

const data = join(repoRoot, '..', 'shared', 'data');
const llm = new LlmStub();
let stack: Stack;
let admin: Session;
let student: { id: string; token: string };
let course: string;
let book: string;
let session: string;
const clients: Client[] = [];

const START = `mutation($c: ID!) { startChatSession(courseId: $c) { id } }`;
const ASK = `mutation($s: ID!, $q: String!, $m: TutorMode) { askTutor(sessionId: $s, question: $q, mode: $m) { id status } }`;
const STREAM = `subscription($m: ID!, $a: Int) {
  tutorAnswer(messageId: $m, afterSeq: $a) {
    seq delta done
    message { status content error answer { summary explanation steps example checkQuestions generator grounded citations { pageStart pageEnd quote book { title } } } }
  }
}`;
const SESSION = `query($id: ID!) { chatSession(id: $id) { messages { id role status content error answer { generator } } } }`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Event = { seq: number; delta: string | null; done: boolean; message: any };

async function ask(question: string, mode = 'EXPLAIN', routerUrl = stack.routerUrl): Promise<string> {
  const res = await fetch(routerUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${student.token}` }, body: JSON.stringify({ query: ASK, variables: { s: session, q: question, m: mode } }) });
  const body = (await res.json()) as { data?: { askTutor: { id: string } }; errors?: unknown };
  if (!body.data) throw new Error(JSON.stringify(body.errors));
  return body.data.askTutor.id;
}

async function answer(messageId: string, routerUrl = stack.routerUrl): Promise<Event[]> {
  const c = wsClient(routerUrl, student.token);
  clients.push(c);
  const results = await collect<{ tutorAnswer: Event }>(c, STREAM, { m: messageId }, (r) => !!r.at(-1)?.data?.tutorAnswer?.done || !!r.at(-1)?.errors);
  for (const r of results) if (r.errors) throw new Error(JSON.stringify(r.errors));
  return results.map((r) => r.data!.tutorAnswer);
}

beforeAll(async () => {
  await llm.start();
  stack = await startStack({ tutorEnv: { LLM_BASE_URL: llm.url, LLM_MODEL: 'stub-model', TUTOR_MAX_CONCURRENT_PER_USER: '1' } });
  admin = (await login(stack, ADMIN.email, ADMIN.password)).data!.login;
  student = await userWithRole(stack, admin, 'STUDENT');
  const run = async (q: string, v: Record<string, unknown> = {}) => {
    const r = await stack.query(q, v, admin.accessToken);
    if (r.errors) throw new Error(JSON.stringify(r.errors));
    return r.data!;
  };
  await run(`mutation($d: String!) { importAcademicData(format: CSV, document: $d) { applied } }`, { d: 'faculty,department,semester,course_code,course_title\nScience,Biology,Fall,BIO1,Chemistry of life' });
  course = (await run(`{ faculties { departments { semesters { courses { id } } } } }`)).faculties[0].departments[0].semesters[0].courses[0].id;
  await run(`mutation($c: ID!, $u: ID!) { enrollStudent(courseId: $c, userId: $u) { id } }`, { c: course, u: student.id });
  book = (await run(`mutation($c: ID!) { createBook(courseId: $c, title: "Biology 2e", authors: ["OpenStax"]) { id } }`, { c: course })).createBook.id;
  // Four real pages of Biology 2e (atoms, isotopes) are enough grounding and ingest in a second.
  expect((await uploadBook(stack, book, readFileSync(join(data, 'bad-inputs', 'garbage-xref.pdf')), 'atoms.pdf', admin.accessToken)).errors).toBeUndefined();
  expect(await waitForIngestion(stack, admin.accessToken, course, book)).toMatchObject({ status: 'READY' });
  session = (await stack.query(START, { c: course }, student.token)).data!.startChatSession.id;
}, 120_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await stack?.stop();
  await llm.stop();
});

describe('answers from a language model', () => {
  let first: Event[];

  it('streams the model’s text as numbered deltas and ends with the structured answer', async () => {
    first = await answer(await ask('What are atoms made of: protons, neutrons and electrons?'));
    expect(first.map((e) => e.seq)).toEqual(first.map((_, i) => i + 1));
    const msg = first.at(-1)!.message;
    expect(msg.status).toBe('COMPLETE');
    expect(first.slice(0, -1).map((e) => e.delta).join('')).toBe(msg.content);
    expect(msg.content).toContain('## Summary');
    expect(msg.answer).toMatchObject({
      generator: 'LLM',
      grounded: true,
      summary: 'Atoms are built from protons, neutrons and electrons.',
      steps: ['Find the protons in the nucleus.', 'Add the neutrons to get the mass number.'],
      example: 'Carbon-12 has 6 protons and 6 neutrons.',
      checkQuestions: ['What is the charge of a neutron?', 'Where are electrons found?'],
    });
  });

  it('keeps verbatim quotes and replaces a quote that is not in the cited passage with one that is', async () => {
    const request = llm.requests.at(-1)!;
    const system = request.messages[0]!.content;
    const [p1, p2] = [passageOf(system, 1)!, passageOf(system, 2)!];
    const squash = (s: string) => s.replace(/\s+/g, ' ');
    const { citations } = first.at(-1)!.message.answer;
    expect(citations).toHaveLength(2);
    expect(squash(p1)).toContain(citations[0].quote);
    expect(citations[1].quote).not.toContain('spaceships');
    expect(squash(p2)).toContain(citations[1].quote);
    for (const c of citations) expect(c.book).toEqual({ title: 'Biology 2e' });
  });

  it('sends the model the mode’s rules, the course passages and the conversation so far', async () => {
    await answer(await ask('How do isotopes differ in their number of neutrons?', 'SOCRATIC'));
    const request = llm.requests.at(-1)!;
    expect(request.model).toBe('stub-model');
    expect(request.stream).toBe(true);
    expect(request.messages[0]!.content).toMatch(/do NOT give the full solution/);
    expect(request.messages[0]!.content).toMatch(/\[1\] \(pages \d/);
    expect(request.messages.slice(1).map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(request.messages[1]!.content).toBe('What are atoms made of: protons, neutrons and electrons?');
    expect(request.messages.at(-1)!.content).toBe('How do isotopes differ in their number of neutrons?');
  });

  it('does not ask the model about what the course does not cover', async () => {
    const before = llm.requests.length;
    const events = await answer(await ask('Who painted the Mona Lisa?'));
    expect(events.at(-1)!.message.answer).toMatchObject({ grounded: false, generator: 'LLM', citations: [] });
    expect(llm.requests.length).toBe(before);
  });
});

describe('many subscribers', () => {
  it('several subscribers of one answer on one router share one tutor subscription, and each receives every event', async () => {
    const release = llm.hold(); // the answer waits for its first word until everyone listens
    const id = await ask('What are atoms made of? Tell all my devices.');
    const metric = async (name: string) => Number((await (await fetch(stack.router.metricsUrl)).text()).match(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm'))?.[1] ?? NaN);
    const baseline = await metric('graphql_subscriptions_active');
    const followers = Array.from({ length: 4 }, () => answer(id));
    await waitFor('4 subscriptions open on the router', async () => (await metric('graphql_subscriptions_active')) >= baseline + 4);
    expect(await metric('graphql_subscriptions_upstream_active')).toBe(1);
    release();
    const streams = await Promise.all(followers);
    for (const events of streams) expect(events).toEqual(streams[0]);
    expect(streams[0]!.map((e) => e.seq)).toEqual(streams[0]!.map((_, i) => i + 1));
    expect(streams[0]!.at(-1)!.message.status).toBe('COMPLETE');
    await waitFor('the shared tutor subscription closed', async () => (await metric('graphql_subscriptions_upstream_active')) === 0);
    // A subscriber arriving after the answer began has its own subscription (the tutor replays what it missed).
    expect(await answer(id)).toEqual(streams[0]);
  });
});

describe('failures and limits', () => {
  it('a model that breaks off mid-stream ends the message FAILED with a reason; asking again works', async () => {
    const events = await answer(await ask('Explain electrons FAIL_MIDSTREAM'));
    const last = events.at(-1)!;
    expect(last.done).toBe(true);
    expect(last.message.status).toBe('FAILED');
    expect(last.message.error).toMatch(/stopped in the middle of the answer; please ask again/);
    expect(events.length).toBeGreaterThan(1); // the partial answer was streamed before the failure
    const retry = await answer(await ask('Explain electrons and their charge'));
    expect(retry.at(-1)!.message.status).toBe('COMPLETE');
  });

  it('a model answering with an error ends the message FAILED with the status', async () => {
    const events = await answer(await ask('Explain neutrons HTTP500'));
    expect(events.at(-1)!.message).toMatchObject({ status: 'FAILED', error: expect.stringMatching(/HTTP 500/) });
  });

  it('one answer at a time per user here: a second question meanwhile is RATE_LIMITED', async () => {
    const slow = await ask('Explain protons slowly SLOW');
    const res = await stack.query(ASK, { s: session, q: 'And neutrons?' }, student.token);
    expect(errorCode(res)).toBe('RATE_LIMITED');
    expect(res.errors![0]!.extensions!.retryAfter).toBeGreaterThan(0);
    await answer(slow);
    // The slot is free as soon as the last event arrived.
    await answer((await stack.query(ASK, { s: session, q: 'And neutrons, what are they?' }, student.token)).data!.askTutor.id);
  });

  it('generation does not depend on a subscriber: a client that leaves finds the answer saved', async () => {
    const id = await ask('Describe the nucleus of an atom SLOW');
    const c = wsClient(stack.routerUrl, student.token);
    clients.push(c);
    const partial = await collect<{ tutorAnswer: Event }>(c, STREAM, { m: id }, (r) => r.length >= 2);
    expect(partial.map((r) => r.data!.tutorAnswer.done)).toEqual([false, false]);
    await c.dispose();
    for (let i = 0; i < 100; i++) {
      const msg = (await stack.query(SESSION, { id: session }, student.token)).data!.chatSession.messages.find((m: { id: string }) => m.id === id);
      if (msg.status !== 'STREAMING') {
        expect(msg).toMatchObject({ status: 'COMPLETE', answer: { generator: 'LLM' } });
        expect(msg.content).toContain('## Sources');
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the answer was never saved');
  });
});

describe('replicas', () => {
  let tutor2: RunningSubgraph;
  let router2: RunningRouter;

  beforeAll(async () => {
    tutor2 = await startTutorSubgraph({ ...stack.env, ACADEMIC_INTERNAL_URL: stack.academic.url, RETRIEVAL_INTERNAL_URL: stack.retrieval.url, LLM_BASE_URL: llm.url });
    router2 = await startRouterWithTutor(stack, tutor2.graphqlUrl);
  });
  afterAll(async () => {
    await router2?.stop();
    await tutor2?.stop();
  });

  it('a subscriber on router 1 (tutor 1) receives, live, an answer generated by tutor 2 (asked via router 2)', async () => {
    const id = await ask('What is an isotope? SLOW', 'EXPLAIN', router2.graphqlUrl);
    const events = await answer(id, stack.routerUrl);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.at(-1)!.message).toMatchObject({ status: 'COMPLETE', answer: { generator: 'LLM', citations: expect.arrayContaining([expect.objectContaining({ book: { title: 'Biology 2e' } })]) } });
    // And the other way round, with resumption on the other router.
    const id2 = await ask('What is an ion? SLOW', 'EXPLAIN', stack.routerUrl);
    const part = await answer(id2, router2.graphqlUrl);
    expect(part.at(-1)!.done).toBe(true);
  });

  it('when the tutor serving a subscriber goes away mid-answer, the client resumes elsewhere with afterSeq and misses nothing', async () => {
    const id = await ask('Explain atomic mass SLOW', 'EXPLAIN', stack.routerUrl); // generated by tutor 1
    const c = wsClient(router2.graphqlUrl, student.token); // served by tutor 2
    clients.push(c);
    const seen: Event[] = [];
    let interruption: { message: string; extensions?: Record<string, unknown> } | undefined;
    for await (const r of c.iterate<{ tutorAnswer: Event }>({ query: STREAM, variables: { m: id } })) {
      if (r.errors) {
        interruption = r.errors[0] as never;
        break;
      }
      seen.push(r.data!.tutorAnswer);
      if (seen.length === 3) void tutor2.stop();
    }
    expect(interruption?.extensions).toMatchObject({ code: 'INTERNAL', resubscribe: true });
    expect(seen.at(-1)!.done).toBe(false);
    const again = wsClient(stack.routerUrl, student.token);
    clients.push(again);
    const rest = await collect<{ tutorAnswer: Event }>(again, STREAM, { m: id, a: seen.at(-1)!.seq }, (r) => !!r.at(-1)?.data?.tutorAnswer?.done);
    const all = [...seen, ...rest.map((r) => r.data!.tutorAnswer)];
    expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
    expect(all.slice(0, -1).map((e) => e.delta).join('')).toBe(all.at(-1)!.message.content);
  });
});

describe('an unreachable model', () => {
  let tutor3: RunningSubgraph;
  let router3: RunningRouter;

  beforeAll(async () => {
    // Nothing listens on port 9 (discard) here: connections are refused.
    tutor3 = await startTutorSubgraph({ ...stack.env, ACADEMIC_INTERNAL_URL: stack.academic.url, RETRIEVAL_INTERNAL_URL: stack.retrieval.url, LLM_BASE_URL: 'http://127.0.0.1:9/v1', LLM_TIMEOUT_MS: '2000' });
    router3 = await startRouterWithTutor(stack, tutor3.graphqlUrl);
  });
  afterAll(async () => {
    await router3?.stop();
    await tutor3?.stop();
  });

  it('ends the message FAILED: the model is unreachable, ask again', async () => {
    const events = await answer(await ask('What are the protons and neutrons of an atom?', 'EXPLAIN', router3.graphqlUrl), router3.graphqlUrl);
    expect(events).toHaveLength(1);
    expect(events[0]!.message).toMatchObject({ status: 'FAILED', error: 'the language model is unreachable; please ask again' });
  });
});

describe('a tutor shutting down', () => {
  it('gives running answers the shutdown window, then ends them FAILED so they can be asked again', async () => {
    const tutor = await startTutorSubgraph({ ...stack.env, ACADEMIC_INTERNAL_URL: stack.academic.url, RETRIEVAL_INTERNAL_URL: stack.retrieval.url, LLM_BASE_URL: llm.url, SHUTDOWN_TIMEOUT_MS: '4000' });
    const router = await startRouterWithTutor(stack, tutor.graphqlUrl);
    try {
      // About 2.5 s of streaming; the shutdown window leaves it 1 s.
      const id = await ask('Explain the atomic number of an element SLOW', 'EXPLAIN', router.graphqlUrl);
      await new Promise((r) => setTimeout(r, 300));
      await tutor.stop();
      const msg = (await stack.query(SESSION, { id: session }, student.token)).data!.chatSession.messages.find((m: { id: string }) => m.id === id);
      expect(msg).toMatchObject({ status: 'FAILED', error: 'the tutor service restarted; ask again' });
      expect(msg.content.length).toBeGreaterThan(0); // what was written so far is kept
      const events = await answer(id); // any other tutor replays it to the end
      expect(events.at(-1)).toMatchObject({ done: true, message: { status: 'FAILED' } });
    } finally {
      await router.stop();
      await tutor.stop();
    }
  });
});
