// The tutor through the router, without a language model (the extractive tutor) on the real Python
// textbook: a student asks, watches the answer stream over graphql-ws with citations whose book
// title comes from another subgraph, resumes with afterSeq, and nobody else can listen in.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { repoRoot } from '@ai-teacher/shared';
import { errorCode } from '@ai-teacher/shared/testing';
import type { Client } from 'graphql-ws';
import { Redis } from 'ioredis';
import { collect, uploadBook, userWithRole, waitForIngestion, wsClient } from '../support/course.ts';
import { ADMIN, login, startStack, type Session, type Stack } from '../support/stack.ts';

const data = join(repoRoot, '..', 'shared', 'data');
let stack: Stack;
let admin: Session;
let student: { id: string; token: string };
let outsider: { id: string; token: string };
let course: string;
let otherCourse: string;
let book: string;
const clients: Client[] = [];

const START = `mutation($c: ID!, $t: String) { startChatSession(courseId: $c, title: $t) { id title course { id } } }`;
const ASK = `mutation($s: ID!, $q: String!, $m: TutorMode) { askTutor(sessionId: $s, question: $q, mode: $m) { id role status content createdAt } }`;
const STREAM = `subscription($m: ID!, $a: Int) {
  tutorAnswer(messageId: $m, afterSeq: $a) {
    messageId seq delta done
    message { id status content error answer { summary explanation steps example checkQuestions generator cached grounded
      citations { pageStart pageEnd quote book { id title } } } }
  }
}`;

interface StreamEvent {
  messageId: string;
  seq: number;
  delta: string | null;
  done: boolean;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  message: any;
}

function client(token?: string): Client {
  const c = wsClient(stack.routerUrl, token);
  clients.push(c);
  return c;
}

async function ask(token: string, sessionId: string, question: string, mode = 'EXPLAIN') {
  const res = await stack.query(ASK, { s: sessionId, q: question, m: mode }, token);
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data!.askTutor as { id: string; status: string };
}

async function answer(token: string, messageId: string, afterSeq?: number): Promise<StreamEvent[]> {
  const results = await collect<{ tutorAnswer: StreamEvent }>(client(token), STREAM, { m: messageId, ...(afterSeq === undefined ? {} : { a: afterSeq }) }, (r) => !!r.at(-1)?.data?.tutorAnswer?.done || !!r.at(-1)?.errors);
  for (const r of results) if (r.errors) throw new Error(JSON.stringify(r.errors));
  return results.map((r) => r.data!.tutorAnswer);
}

beforeAll(async () => {
  stack = await startStack();
  admin = (await login(stack, ADMIN.email, ADMIN.password)).data!.login;
  student = await userWithRole(stack, admin, 'STUDENT');
  outsider = await userWithRole(stack, admin, 'STUDENT');
  const run = async (q: string, v: Record<string, unknown>) => {
    const r = await stack.query(q, v, admin.accessToken);
    if (r.errors) throw new Error(JSON.stringify(r.errors));
    return r.data!;
  };
  await run(`mutation($d: String!) { importAcademicData(format: JSON, document: $d) { applied } }`, {
    d: JSON.stringify({ faculties: [{ name: 'Engineering', departments: [{ name: 'CS', semesters: [{ name: 'Fall', courses: [{ code: 'PY1', title: 'Python' }, { code: 'PY2', title: 'Other' }] }] }] }] }),
  });
  const tree = await run(`{ faculties { departments { semesters { courses { id code } } } } }`, {});
  const courses = tree.faculties[0].departments[0].semesters[0].courses as { id: string; code: string }[];
  course = courses.find((c) => c.code === 'PY1')!.id;
  otherCourse = courses.find((c) => c.code === 'PY2')!.id;
  await run(`mutation($c: ID!, $u: ID!) { enrollStudent(courseId: $c, userId: $u) { id } }`, { c: course, u: student.id });
  await run(`mutation($c: ID!, $u: ID!) { enrollStudent(courseId: $c, userId: $u) { id } }`, { c: otherCourse, u: outsider.id });
  book = (await run(`mutation($c: ID!) { createBook(courseId: $c, title: "Introduction to Python Programming", authors: ["OpenStax"]) { id } }`, { c: course })).createBook.id;
  const up = await uploadBook(stack, book, readFileSync(join(data, 'textbooks', 'intro-python-programming.pdf')), 'python.pdf', admin.accessToken);
  expect(up.errors).toBeUndefined();
  expect(await waitForIngestion(stack, admin.accessToken, course, book)).toMatchObject({ status: 'READY' });
}, 120_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await stack?.stop();
});

describe('asking the tutor (extractive, no model configured)', () => {
  let session: string;
  let messageId: string;
  let events: StreamEvent[];

  it('an enrolled student starts a session and asks; the tutor message comes back STREAMING at once', async () => {
    const started = await stack.query(START, { c: course, t: 'Loops' }, student.token);
    expect(started.errors).toBeUndefined();
    expect(started.data!.startChatSession).toMatchObject({ title: 'Loops', course: { id: course } });
    session = started.data!.startChatSession.id;
    const reply = await ask(student.token, session, 'How does a while loop know when to stop?');
    expect(reply).toMatchObject({ status: 'STREAMING', content: '' });
    messageId = reply.id;
  });

  it('streams ordered deltas through the router, then the complete answer with citations into the course book', async () => {
    events = await answer(student.token, messageId);
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(events.length).toBeGreaterThan(5);
    const last = events.at(-1)!;
    expect(last.done).toBe(true);
    expect(events.slice(0, -1).every((e) => !e.done && typeof e.delta === 'string')).toBe(true);
    const msg = last.message;
    expect(msg.status).toBe('COMPLETE');
    // The deltas add up to the saved content.
    expect(events.slice(0, -1).map((e) => e.delta).join('')).toBe(msg.content);
    expect(msg.answer).toMatchObject({ generator: 'EXTRACTIVE', cached: false, grounded: true });
    expect(msg.answer.summary.length).toBeGreaterThan(10);
    expect(msg.answer.citations.length).toBeGreaterThan(0);
    for (const c of msg.answer.citations) {
      // book.title is resolved by academic for each event (_entities), not by the tutor.
      expect(c.book).toEqual({ id: book, title: 'Introduction to Python Programming' });
      expect(c.pageEnd - c.pageStart).toBeLessThan(3);
    }
    expect(msg.answer.citations.some((c: { pageStart: number }) => c.pageStart >= 70 && c.pageStart <= 90)).toBe(true);
  });

  it('every citation quotes the cited pages verbatim', async () => {
    const msg = events.at(-1)!.message;
    for (const c of msg.answer.citations) {
      const res = await stack.query(`query($c: ID!, $q: String!) { searchCourseMaterial(courseId: $c, query: $q, limit: 20) { text pageStart } }`, { c: course, q: c.quote }, student.token);
      const squash = (s: string) => s.replace(/\s+/g, ' ');
      expect(res.data!.searchCourseMaterial.some((p: { text: string; pageStart: number }) => p.pageStart === c.pageStart && squash(p.text).includes(squash(c.quote)))).toBe(true);
    }
  });

  it('resubscribing with afterSeq continues where the client left off; after the end, the saved answer', async () => {
    const k = Math.floor(events.length / 2);
    const resumed = await answer(student.token, messageId, k);
    expect(resumed.map((e) => e.seq)).toEqual(events.slice(k).map((e) => e.seq));
    expect(resumed.at(-1)!.message.content).toBe(events.at(-1)!.message.content);
    // A client that already saw the end gets the final event again, and the subscription ends.
    const after = await answer(student.token, messageId, events.at(-1)!.seq);
    expect(after).toEqual([events.at(-1)]);
  });

  it('once the stream has left Redis, a resubscriber gets the saved answer from Postgres as the last event', async () => {
    const redis = new Redis(stack.env.REDIS_URL!);
    expect(await redis.del(`${stack.env.REDIS_KEY_PREFIX}tutor-stream:${messageId}`)).toBe(1);
    redis.disconnect();
    const resumed = await answer(student.token, messageId, 3);
    expect(resumed).toHaveLength(1);
    expect(resumed[0]).toMatchObject({ seq: events.at(-1)!.seq, done: true, message: { status: 'COMPLETE', content: events.at(-1)!.message.content } });
  });

  it('keeps the conversation: chatSession lists question and answer, oldest first', async () => {
    const res = await stack.query(`query($id: ID!) { chatSession(id: $id) { id messages { role status content answer { grounded } } } }`, { id: session }, student.token);
    expect(res.data!.chatSession.messages.map((m: { role: string }) => m.role)).toEqual(['USER', 'TUTOR']);
    expect(res.data!.chatSession.messages[0].content).toBe('How does a while loop know when to stop?');
    const mine = await stack.query(`query($c: ID) { myChatSessions(courseId: $c) { id } }`, { c: course }, student.token);
    expect(mine.data!.myChatSessions).toEqual([{ id: session }]);
  });

  it('the same question again (same course, mode, books) is answered from the cache, and still streamed', async () => {
    const again = await ask(student.token, session, '  how does a WHILE loop know when to stop  ');
    const evs = await answer(student.token, again.id);
    expect(evs.length).toBeGreaterThan(2);
    expect(evs.at(-1)!.message.answer).toMatchObject({ cached: true, generator: 'EXTRACTIVE' });
    expect(evs.at(-1)!.message.content).toBe(events.at(-1)!.message.content);
  });

  it('says honestly when the course material does not cover a question', async () => {
    const reply = await ask(student.token, session, 'Who painted the Mona Lisa?');
    const evs = await answer(student.token, reply.id);
    const msg = evs.at(-1)!.message;
    expect(msg.status).toBe('COMPLETE');
    expect(msg.answer).toMatchObject({ grounded: false, citations: [], summary: 'This is not in your course material.' });
  });

  it('SOCRATIC gives hints and guiding questions, not the answer; QUIZ_ME asks questions', async () => {
    const socratic = (await answer(student.token, (await ask(student.token, session, 'How does a for loop iterate over a list?', 'SOCRATIC')).id)).at(-1)!.message.answer;
    expect(socratic.summary).toMatch(/\?$/);
    expect(socratic.steps.length).toBeGreaterThan(0);
    expect(socratic.steps.every((s: string) => s.endsWith('?'))).toBe(true);
    expect(socratic.example).toBeNull();
    const quiz = (await answer(student.token, (await ask(student.token, session, 'Python lists and indexing', 'QUIZ_ME')).id)).at(-1)!.message.answer;
    expect(quiz.checkQuestions.length).toBeGreaterThan(0);
    expect(quiz.grounded).toBe(true);
  });
});

describe('listing sessions', () => {
  it('loads the messages of all listed sessions in one query', async () => {
    for (const t of ['A', 'B', 'C']) await stack.query(START, { c: course, t }, student.token);
    const metric = async () => Number(/^db_queries_total\{[^}]*\} (\d+)/m.exec(await (await fetch(`${stack.tutor.url}/metrics`)).text())![1]);
    const before = await metric();
    const res = await stack.query(`{ myChatSessions { id title messages { role content } } }`, {}, student.token);
    expect(res.data!.myChatSessions.length).toBeGreaterThanOrEqual(4);
    expect((await metric()) - before).toBe(2); // the sessions, then the messages of all of them
  });
});

describe('operations', () => {
  it('counts answers by generator, outcome and cache use, and times the first delta', async () => {
    const text = await (await fetch(`${stack.tutor.url}/metrics`)).text();
    const count = (labels: string) => Number(new RegExp(`^tutor_answers_total\\{${labels}[^}]*\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
    expect(count('generator="EXTRACTIVE",outcome="grounded",cached="false"')).toBeGreaterThanOrEqual(3);
    expect(count('generator="EXTRACTIVE",outcome="grounded",cached="true"')).toBe(1);
    expect(count('generator="EXTRACTIVE",outcome="not_in_material",cached="false"')).toBe(1);
    expect(text).toMatch(/^tutor_first_delta_seconds_count\{[^}]*\} [1-9]/m);
  });
});

describe('who may ask and listen', () => {
  it('refuses an anonymous socket, and one with an invalid token', async () => {
    for (const token of [undefined, 'not.a.token']) {
      const closed = await collect(client(token), STREAM, { m: '00000000-0000-4000-8000-000000000000' }).catch((e: unknown) => e);
      expect((closed as { code?: number }).code).toBe(4403);
    }
  });

  it('another course’s student can neither start a session in the course nor listen to an answer', async () => {
    expect(errorCode(await stack.query(START, { c: course }, outsider.token))).toBe('FORBIDDEN');
    const own = (await stack.query(START, { c: course }, student.token)).data!.startChatSession.id;
    const reply = await ask(student.token, own, 'What is a variable?');
    const res = await collect(client(outsider.token), STREAM, { m: reply.id });
    expect(res[0]!.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(errorCode(await stack.query(ASK, { s: own, q: 'Mine now?' }, outsider.token))).toBe('FORBIDDEN');
    expect(await stack.query(`query($id: ID!) { chatSession(id: $id) { id } }`, { id: own }, outsider.token)).toMatchObject({ errors: [{ extensions: { code: 'FORBIDDEN' } }] });
  });

  it('rejects bad input with a code and the field', async () => {
    const own = (await stack.query(START, { c: course }, student.token)).data!.startChatSession.id;
    const cases: [string, Record<string, unknown>, string, string | undefined][] = [
      [ASK, { s: own, q: '   ' }, 'BAD_USER_INPUT', 'question'],
      [ASK, { s: own, q: 'x'.repeat(2001) }, 'BAD_USER_INPUT', 'question'],
      [ASK, { s: 'nope', q: 'x' }, 'BAD_USER_INPUT', 'sessionId'],
      [ASK, { s: '00000000-0000-4000-8000-000000000000', q: 'x' }, 'NOT_FOUND', undefined],
      [START, { c: course, t: '' }, 'BAD_USER_INPUT', 'title'],
      [START, { c: '00000000-0000-4000-8000-000000000000' }, 'NOT_FOUND', undefined],
    ];
    for (const [q, v, code, field] of cases) {
      const res = await stack.query(q, v, student.token);
      expect([errorCode(res), res.errors?.[0]?.extensions?.field]).toEqual([code, field]);
    }
    const bad = await collect(client(student.token), STREAM, { m: 'nope' });
    expect(bad[0]!.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
