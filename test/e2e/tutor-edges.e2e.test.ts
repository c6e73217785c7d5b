// Edges of the tutor's streaming: an answer whose generating process died, operations that are
// not subscriptions over WebSocket, and the tutor's own graphql-ws endpoint refusing anything the
// router did not sign.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { IdentitySigner } from '@ai-teacher/shared';
import { createClient } from 'graphql-ws';
import pg from 'pg';
import { WebSocket } from 'ws';
import { collect, userWithRole, wsClient } from '../support/course.ts';
import { ADMIN, login, startStack, type Session, type Stack } from '../support/stack.ts';

let stack: Stack;
let admin: Session;
let student: { id: string; token: string };
let course: string;
let session: string;
const STREAM = `subscription($m: ID!, $a: Int) { tutorAnswer(messageId: $m, afterSeq: $a) { seq done message { status error content } } }`;

beforeAll(async () => {
  stack = await startStack({ routerEnv: { WS_MAX_SUBSCRIPTIONS_PER_SOCKET: '3' } });
  admin = (await login(stack, ADMIN.email, ADMIN.password)).data!.login;
  student = await userWithRole(stack, admin, 'STUDENT');
  await stack.query(`mutation($d: String!) { importAcademicData(format: CSV, document: $d) { applied } }`, { d: 'faculty,department,semester,course_code,course_title\nArts,History,Spring,H1,History' }, admin.accessToken);
  course = (await stack.query(`{ faculties { departments { semesters { courses { id } } } } }`, {}, admin.accessToken)).data!.faculties[0].departments[0].semesters[0].courses[0].id;
  await stack.query(`mutation($c: ID!, $u: ID!) { enrollStudent(courseId: $c, userId: $u) { id } }`, { c: course, u: student.id }, admin.accessToken);
  session = (await stack.query(`mutation($c: ID!) { startChatSession(courseId: $c) { id } }`, { c: course }, student.token)).data!.startChatSession.id;
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

describe('streaming edges', () => {
  it('an answer left STREAMING by a process that died ends FAILED for the next subscriber', async () => {
    const db = new pg.Client({ connectionString: stack.env.DATABASE_URL });
    await db.connect();
    const { rows } = await db.query(
      `insert into tutor.chat_messages (id, session_id, role, mode, content, status, last_seq, created_at, updated_at)
       values (gen_random_uuid(), $1, 'TUTOR', 'EXPLAIN', '', 'STREAMING', 0, now() - interval '10 minutes', now() - interval '10 minutes') returning id`,
      [session],
    );
    await db.end();
    const c = wsClient(stack.routerUrl, student.token);
    const events = await collect<{ tutorAnswer: { seq: number; done: boolean; message: { status: string; error: string } } }>(c, STREAM, { m: rows[0].id }, (r) => !!r.at(-1)?.data?.tutorAnswer.done);
    await c.dispose();
    expect(events.at(-1)!.data!.tutorAnswer).toMatchObject({ seq: 1, done: true, message: { status: 'FAILED', error: 'the answer was interrupted; please ask again' } });
  });

  it('a course without books: the tutor says the material does not cover it', async () => {
    const reply = await stack.query(`mutation($s: ID!) { askTutor(sessionId: $s, question: "Why did the Roman empire fall?") { id } }`, { s: session }, student.token);
    const c = wsClient(stack.routerUrl, student.token);
    const events = await collect<{ tutorAnswer: { done: boolean; message: { status: string; content: string } } }>(c, STREAM, { m: reply.data!.askTutor.id }, (r) => !!r.at(-1)?.data?.tutorAnswer.done);
    await c.dispose();
    expect(events.at(-1)!.data!.tutorAnswer.message).toMatchObject({ status: 'COMPLETE', content: expect.stringContaining('This is not in your course material.') });
  });

  it('one connection holds a limited number of open subscriptions; finished ones free their place', async () => {
    const db = new pg.Client({ connectionString: stack.env.DATABASE_URL });
    await db.connect();
    // A fresh STREAMING answer: subscriptions to it stay open.
    const { rows } = await db.query(
      `insert into tutor.chat_messages (id, session_id, role, mode, content, status, last_seq, created_at, updated_at)
       values (gen_random_uuid(), $1, 'TUTOR', 'EXPLAIN', '', 'STREAMING', 0, now(), now()) returning id`,
      [session],
    );
    await db.end();
    const c = createClient({ url: stack.routerUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${student.token}` } });
    const open = [1, 2, 3].map(() => c.iterate({ query: STREAM, variables: { m: rows[0].id } }));
    await Promise.race([Promise.all(open.map((it) => it.next())), new Promise((r) => setTimeout(r, 500))]); // they wait for events
    let refused: unknown;
    try {
      for await (const r of c.iterate({ query: STREAM, variables: { m: rows[0].id } })) refused = r;
    } catch (err) {
      refused = err;
    }
    expect(JSON.stringify(refused)).toMatch(/"code":"RATE_LIMITED"/);
    await open[0]!.return!();
    // The freed place is usable again (this subscription ends at once: no such answer).
    const res = await collect(c, STREAM, { m: '00000000-0000-4000-8000-000000000000' });
    expect(res[0]!.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    await c.dispose();
  });

  it('queries over WebSocket are refused with a pointer to HTTP', async () => {
    const c = wsClient(stack.routerUrl, student.token);
    const res = await collect(c, `{ me { id } }`, {});
    await c.dispose();
    expect(res[0]!.errors?.[0]?.message).toMatch(/over HTTP/);
  });
});

describe('the tutor subgraph’s own WebSocket endpoint', () => {
  /** Subscribes straight to the tutor (as only the router should) and returns what came back. */
  const direct = async (forwarded?: Record<string, string>, query = STREAM): Promise<string> => {
    const c = createClient({ url: stack.tutor.graphqlUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
    const results: unknown[] = [];
    try {
      for await (const r of c.iterate({ query, variables: { m: '00000000-0000-4000-8000-000000000000' }, ...(forwarded ? { extensions: { forwarded } } : {}) })) results.push(r);
    } catch (err) {
      results.push(err); // an error before the first event arrives as a thrown array
    }
    await c.dispose();
    return JSON.stringify(results);
  };

  it('refuses a subscription without the router’s signature, or with a forged one', async () => {
    const forged = { 'x-user-id': student.id, 'x-user-role': 'ADMIN', 'x-request-id': 'r', 'x-client-ip': '1.2.3.4', 'x-identity-proof': 'forged' };
    expect(await direct()).toMatch(/"code":"UNAUTHENTICATED"/);
    expect(await direct(forged)).toMatch(/"code":"UNAUTHENTICATED"/);
  });

  it('accepts the router’s signature for the signed user only', async () => {
    const headers = new IdentitySigner(stack.identitySecret).headers({ identity: { userId: student.id, role: 'STUDENT' }, requestId: 'test', clientIp: '127.0.0.1' }, { subgraph: 'tutor', query: STREAM });
    // Signed and authenticated: the answer is simply not there.
    expect(await direct(headers)).toMatch(/"code":"NOT_FOUND"/);
  });

  it('refuses the router’s signature for another operation or another subgraph, and unproven queries over the socket', async () => {
    const signer = new IdentitySigner(stack.identitySecret);
    const fwd = { identity: { userId: student.id, role: 'STUDENT' as const }, requestId: 'test', clientIp: '127.0.0.1' };
    expect(await direct(signer.headers(fwd, { subgraph: 'tutor', query: `${STREAM} ` }))).toMatch(/signed for another operation.*"code":"UNAUTHENTICATED"/);
    expect(await direct(signer.headers(fwd, { subgraph: 'academic', query: STREAM }))).toMatch(/does not match this subgraph.*"code":"UNAUTHENTICATED"/);
    expect(await direct(undefined, '{ __typename }')).toMatch(/missing identity proof.*"code":"UNAUTHENTICATED"/);
  });
});
