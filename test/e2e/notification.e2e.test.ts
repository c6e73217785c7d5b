// Notifications through the router, with a real SMTP server: every producer's event (academic
// ENROLLED, retrieval BOOK_READY, exam EXAM_PUBLISHED, announcements) reaches the right people and
// only them, in the app and by email, with preferences applied; the live subscription delivers
// only the caller's own; read/unread counts; bad input; a temporary SMTP failure is retried and
// delivered once, a permanent one recorded and not retried.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { repoRoot } from '@ai-teacher/shared';
import type { GraphQLResponse } from '@ai-teacher/shared/testing';
import type { Client } from 'graphql-ws';
import pg from 'pg';
import { parseMessage, TestSmtpServer } from '../../subgraphs/notification/test/smtp.ts';
import { collect, uploadBook, userWithRole, waitForIngestion, wsClient } from '../support/course.ts';
import { expectError, ok as okVia, waitFor } from '../support/assertions.ts';
import { ADMIN, login, registerUser, type Session, SET_ROLE, startStack, type Stack } from '../support/stack.ts';

const data = join(repoRoot, '..', 'shared', 'data');
type User = { id: string; token: string };
let stack: Stack;
let smtp: TestSmtpServer;
let admin: Session;
let teacher: User;
let s1: User;
let s2: User;
let outsider: User;
let tempFail: User;
let rejected: User;
let course: string;
let otherCourse: string;
const clients: Client[] = [];

const FEED = `query($f: Int, $a: String, $u: Boolean) { myNotifications(first: $f, after: $a, unreadOnly: $u) {
  edges { cursor node { id kind title body readAt createdAt course { id } } } pageInfo { hasNextPage endCursor } unreadCount } }`;
const ANNOUNCE = `mutation($c: ID!, $t: String!, $b: String!) { announce(courseId: $c, title: $t, body: $b) }`;
const MARK = `mutation($ids: [ID!]) { markNotificationsRead(ids: $ids) }`;
const PREFS = `{ myNotificationPreferences { kind inApp email } }`;
const SET_PREF = `mutation($k: NotificationKind!, $i: Boolean!, $e: Boolean!) { setNotificationPreference(kind: $k, inApp: $i, email: $e) { kind inApp email } }`;

interface Node {
  id: string;
  kind: string;
  title: string;
  body: string;
  readAt: string | null;
  course: { id: string } | null;
}

const ok = <T = Record<string, any>>(query: string, variables: Record<string, unknown>, token: string) => okVia<T>(stack, query, variables, token); // eslint-disable-line @typescript-eslint/no-explicit-any

const feed = async (u: User, first = 50): Promise<Node[]> => (await ok(FEED, { f: first }, u.token)).myNotifications.edges.map((e: { node: Node }) => e.node);
const kinds = async (u: User, kind: string) => (await feed(u)).filter((n) => n.kind === kind);
const mailsTo = (email: string) => smtp.messages.filter((m) => m.to.includes(email)).map((m) => parseMessage(m.raw));
const emailOf = new Map<string, string>();

async function newUser(role: 'STUDENT' | 'TEACHER', email?: string): Promise<User> {
  if (!email) {
    const u = await userWithRole(stack, admin, role);
    const me = await ok(`{ me { email } }`, {}, u.token);
    emailOf.set(u.id, me.me.email);
    return u;
  }
  const s = await registerUser(stack, email);
  emailOf.set(s.user.id, email);
  if (role === 'TEACHER') await ok(SET_ROLE, { userId: s.user.id, role }, admin.accessToken);
  return { id: s.user.id, token: s.accessToken };
}

beforeAll(async () => {
  smtp = await new TestSmtpServer().start();
  stack = await startStack({ env: { SMTP_URL: smtp.url, MAIL_FROM: 'AI Teacher <no-reply@uni.test>', ANNOUNCE_PER_HOUR: '8' } });
  admin = (await login(stack, ADMIN.email, ADMIN.password)).data!.login;
  [teacher, s1, s2, outsider] = await Promise.all([newUser('TEACHER'), newUser('STUDENT'), newUser('STUDENT'), newUser('STUDENT')]);
  tempFail = await newUser('STUDENT', 'temp-fail@uni.test');
  rejected = await newUser('STUDENT', 'reject@uni.test');
  const run = (q: string, v: Record<string, unknown>) => ok(q, v, admin.accessToken);
  await run(`mutation($d: String!) { importAcademicData(format: JSON, document: $d) { applied } }`, {
    d: JSON.stringify({ faculties: [{ name: 'Science', departments: [{ name: 'Bio', semesters: [{ name: 'Fall', courses: [{ code: 'BIO1', title: 'Biology' }, { code: 'CHEM', title: 'Chemistry' }] }] }] }] }),
  });
  const tree = await run(`{ faculties { departments { semesters { courses { id code } } } } }`, {});
  const courses = tree.faculties[0].departments[0].semesters[0].courses as { id: string; code: string }[];
  course = courses.find((c) => c.code === 'BIO1')!.id;
  otherCourse = courses.find((c) => c.code === 'CHEM')!.id;
  await run(`mutation($c: ID!, $u: ID!) { assignTeacher(courseId: $c, userId: $u) { id } }`, { c: course, u: teacher.id });
  for (const s of [s1, s2, tempFail, rejected]) await run(`mutation($c: ID!, $u: ID!) { enrollStudent(courseId: $c, userId: $u) { id } }`, { c: course, u: s.id });
  await run(`mutation($c: ID!, $u: ID!) { enrollStudent(courseId: $c, userId: $u) { id } }`, { c: otherCourse, u: outsider.id });
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await stack?.stop();
  await smtp?.stop();
});

describe('events reach the right people', () => {
  it('ENROLLED: each student in the app and by email (on by default), only once', async () => {
    for (const s of [s1, s2]) {
      const [n] = await waitFor('ENROLLED', async () => ((await kinds(s, 'ENROLLED')).length ? kinds(s, 'ENROLLED') : null));
      expect(n).toMatchObject({ kind: 'ENROLLED', course: { id: course } });
      expect(n!.title).toMatch(/BIO1|Biology/);
      await waitFor('the enrolment email', async () => mailsTo(emailOf.get(s.id)!).length > 0);
    }
    const outsiders = await kinds(outsider, 'ENROLLED');
    expect(outsiders.map((n) => n.course?.id)).toEqual([otherCourse]);
    // Enrolling again changes nothing and sends nothing.
    await ok(`mutation($c: ID!, $u: ID!) { enrollStudent(courseId: $c, userId: $u) { id } }`, { c: course, u: s1.id }, admin.accessToken);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await kinds(s1, 'ENROLLED')).toHaveLength(1);
    expect(mailsTo(emailOf.get(s1.id)!).filter((m) => /enrol/i.test(m.header('subject') ?? ''))).toHaveLength(1);
  });

  it('a temporary SMTP failure (451) is retried and delivered once; a permanent one (550) is recorded and not retried', async () => {
    const delivered = await waitFor('the retried email', async () => (mailsTo('temp-fail@uni.test').length ? mailsTo('temp-fail@uni.test') : null), 60_000);
    expect(delivered).toHaveLength(1);
    expect(smtp.attempts.get('temp-fail@uni.test')).toBe(2);
    await waitFor('the rejection', async () => smtp.attempts.get('reject@uni.test') === 1);
    // The worker records it and does not try again (no second RCPT TO).
    await new Promise((r) => setTimeout(r, 3_000));
    expect(smtp.attempts.get('reject@uni.test')).toBe(1);
    expect(mailsTo('reject@uni.test')).toHaveLength(0);
    const db = new pg.Client({ connectionString: stack.env.DATABASE_URL });
    await db.connect();
    try {
      const rows = (await db.query(`select email_status, email_error from notification.notifications where user_id = $1 and kind = 'ENROLLED'`, [rejected.id])).rows;
      expect(rows).toEqual([{ email_status: 'REJECTED', email_error: expect.stringMatching(/550|mailbox unavailable/) }]);
    } finally {
      await db.end();
    }
  }, 90_000);

  it('BOOK_READY: the uploader and the course teachers, in the app (email off by default); students get nothing', async () => {
    const book = (await ok(`mutation($c: ID!) { createBook(courseId: $c, title: "Biology 2e", authors: ["OpenStax"]) { id } }`, { c: course }, teacher.token)).createBook.id;
    const up = await uploadBook(stack, book, readFileSync(join(data, 'textbooks', 'biology-2e-excerpt.pdf')), 'bio.pdf', teacher.token);
    expect(up.errors).toBeUndefined();
    expect(await waitForIngestion(stack, admin.accessToken, course, book)).toMatchObject({ status: 'READY' });
    const [n] = await waitFor('BOOK_READY', async () => ((await kinds(teacher, 'BOOK_READY')).length ? kinds(teacher, 'BOOK_READY') : null));
    expect(n).toMatchObject({ course: { id: course } });
    expect(n!.title).toContain('Biology 2e');
    expect(await kinds(s1, 'BOOK_READY')).toEqual([]);
    expect(mailsTo(emailOf.get(teacher.id)!).filter((m) => /ready/i.test(m.header('subject') ?? ''))).toEqual([]);
  }, 90_000);

  it('EXAM_PUBLISHED: every enrolled student, nobody of another course', async () => {
    const exam = (await ok(`mutation($i: GenerateExamInput!) { generateExam(input: $i) { id } }`, { i: { courseId: course, title: 'Quiz 1', multipleChoice: 3 } }, teacher.token)).generateExam.id;
    const items = await waitFor('the draft', async () => {
      const e = (await ok(`query($id: ID!) { exam(id: $id) { status items { id } } }`, { id: exam }, teacher.token)).exam;
      return e.status === 'DRAFT' ? (e.items as { id: string }[]) : null;
    });
    for (const item of items) await ok(`mutation($i: ID!) { reviewExamItem(itemId: $i, review: APPROVED) { id } }`, { i: item.id }, teacher.token);
    const soon = (s: number) => new Date(Date.now() + s * 1000).toISOString();
    await ok(`mutation($e: ID!, $o: DateTime!, $c: DateTime!) { publishExam(examId: $e, opensAt: $o, closesAt: $c, durationMinutes: 30) { id } }`, { e: exam, o: soon(60), c: soon(7200) }, teacher.token);
    for (const s of [s1, s2]) await waitFor('EXAM_PUBLISHED', async () => (await kinds(s, 'EXAM_PUBLISHED')).length === 1);
    expect(await kinds(outsider, 'EXAM_PUBLISHED')).toEqual([]);
    expect(await kinds(teacher, 'EXAM_READY_FOR_REVIEW')).toHaveLength(1);
  }, 60_000);
});

describe('announcements and the live feed', () => {
  it('arrive live, each subscriber gets only its own; plain text, never HTML, in the app and in the email', async () => {
    const sub1 = collect<{ notificationAdded: Node }>(track(wsClient(stack.routerUrl, s1.token)), `subscription { notificationAdded { id kind title body course { id } } }`, {}, (r) => r.length >= 1, 20_000);
    const subOut = collect<{ notificationAdded: Node }>(track(wsClient(stack.routerUrl, outsider.token)), `subscription { notificationAdded { id kind } }`, {}, () => false, 4_000).catch(() => []);
    await new Promise((r) => setTimeout(r, 500)); // both subscriptions are open
    const hostile = 'Lab moved <script>alert(1)</script> "><img src=x onerror=alert(1)>\nBring goggles.';
    expect((await ok(ANNOUNCE, { c: course, t: 'Lab <b>today</b>', b: hostile }, teacher.token)).announce).toBe(4);
    const [live] = await sub1;
    expect(live!.data!.notificationAdded).toMatchObject({ kind: 'ANNOUNCEMENT', title: 'Lab <b>today</b>', body: hostile, course: { id: course } });
    // The live one is the caller's own stored notification.
    expect((await kinds(s1, 'ANNOUNCEMENT')).map((n) => n.id)).toEqual([live!.data!.notificationAdded.id]);
    expect(await subOut).toEqual([]);
    expect(await kinds(outsider, 'ANNOUNCEMENT')).toEqual([]);
    const mail = await waitFor('the announcement email', async () => mailsTo(emailOf.get(s2.id)!).find((m) => (m.header('subject') ?? '').includes('Lab')));
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).not.toMatch(/<img/i);
    expect(mail.html).toMatch(/&(lt|#60);script&(gt|#62);/);
    expect(mail.text).toContain('Bring goggles.');
    expect(mail.header('list-unsubscribe')).toMatch(/^<https?:\/\/.+>$/);
  });

  it('preferences apply at delivery: email off keeps it in the app only; both off leaves nothing', async () => {
    expect((await ok(PREFS, {}, s2.token)).myNotificationPreferences).toContainEqual({ kind: 'ANNOUNCEMENT', inApp: true, email: true });
    await ok(SET_PREF, { k: 'ANNOUNCEMENT', i: true, e: false }, s2.token);
    await ok(SET_PREF, { k: 'ANNOUNCEMENT', i: false, e: false }, s1.token);
    const before2 = mailsTo(emailOf.get(s2.id)!).length;
    const before1 = (await kinds(s1, 'ANNOUNCEMENT')).length;
    await ok(ANNOUNCE, { c: course, t: 'Quiet one', b: 'No email please.' }, teacher.token);
    await waitFor('the announcement in s2 feed', async () => (await kinds(s2, 'ANNOUNCEMENT')).some((n) => n.title === 'Quiet one'));
    await new Promise((r) => setTimeout(r, 1_500));
    expect(mailsTo(emailOf.get(s2.id)!).length).toBe(before2);
    expect((await kinds(s1, 'ANNOUNCEMENT')).length).toBe(before1);
    expect((await ok(PREFS, {}, s1.token)).myNotificationPreferences).toContainEqual({ kind: 'ANNOUNCEMENT', inApp: false, email: false });
  });

  it('read and unread: counts, the caller\'s own only, paging newest first', async () => {
    const page = (await ok(FEED, { f: 2 }, s2.token)).myNotifications;
    const total = page.unreadCount as number;
    expect(total).toBeGreaterThanOrEqual(3);
    expect(page.edges).toHaveLength(2);
    expect(page.pageInfo.hasNextPage).toBe(true);
    const next = (await ok(FEED, { f: 50, a: page.pageInfo.endCursor }, s2.token)).myNotifications;
    const all = [...page.edges, ...next.edges].map((e: { node: Node & { createdAt: string } }) => e.node);
    expect(new Set(all.map((n) => n.id)).size).toBe(all.length);
    expect(all.map((n) => n.createdAt)).toEqual([...all.map((n) => n.createdAt)].sort().reverse());
    // Another user's ids change nothing.
    const others = (await feed(s1)).map((n) => n.id);
    expect((await ok(MARK, { ids: others }, s2.token)).markNotificationsRead).toBe(0);
    expect((await ok(FEED, { f: 1 }, s1.token)).myNotifications.unreadCount).toBeGreaterThan(0);
    expect((await ok(MARK, { ids: [all[0]!.id] }, s2.token)).markNotificationsRead).toBe(1);
    expect((await ok(MARK, { ids: [all[0]!.id] }, s2.token)).markNotificationsRead).toBe(0);
    expect((await ok(FEED, { f: 1, u: true }, s2.token)).myNotifications.unreadCount).toBe(total - 1);
    expect((await ok(MARK, {}, s2.token)).markNotificationsRead).toBe(total - 1);
    const after = (await ok(FEED, { f: 50, u: true }, s2.token)).myNotifications;
    expect(after).toMatchObject({ unreadCount: 0, edges: [] });
  });

  it('bad input gets its code and writes nothing', async () => {
    const long = 'x'.repeat(5_001);
    expectError(await stack.query(ANNOUNCE, { c: course, t: 'Hi', b: long }, teacher.token), 'BAD_USER_INPUT', 'body');
    expectError(await stack.query(ANNOUNCE, { c: course, t: 'x'.repeat(201), b: 'b' }, teacher.token), 'BAD_USER_INPUT', 'title');
    expectError(await stack.query(ANNOUNCE, { c: course, t: '  ', b: 'b' }, teacher.token), 'BAD_USER_INPUT', 'title');
    expectError(await stack.query(ANNOUNCE, { c: otherCourse, t: 'Hi', b: 'b' }, teacher.token), 'FORBIDDEN');
    expectError(await stack.query(ANNOUNCE, { c: course, t: 'Hi', b: 'b' }, s1.token), 'FORBIDDEN');
    expectError(await stack.query(ANNOUNCE, { c: '00000000-0000-4000-8000-000000000000', t: 'Hi', b: 'b' }, teacher.token), 'NOT_FOUND');
    expectError(await stack.query(ANNOUNCE, { c: course, t: 'Hi', b: 'b' }), 'UNAUTHENTICATED');
    expectError(await stack.query(MARK, { ids: ['nope'] }, s1.token), 'BAD_USER_INPUT', 'ids.0');
    expectError(await stack.query(FEED, { f: 0 }, s1.token), 'BAD_USER_INPUT', 'first');
    expectError(await stack.query(FEED, { f: 5, a: 'garbage' }, s1.token), 'BAD_USER_INPUT', 'after');
    expectError(await stack.query(FEED, {}), 'UNAUTHENTICATED');
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await kinds(s2, 'ANNOUNCEMENT')).filter((n) => n.title === 'Hi')).toEqual([]);
  });

  it('announcements are rate-limited per sender', async () => {
    let res: GraphQLResponse<unknown> | undefined;
    for (let i = 0; i < 10; i++) {
      res = await stack.query(ANNOUNCE, { c: course, t: `Note ${i}`, b: 'b' }, teacher.token);
      if (res.errors) break;
    }
    expectError(res!, 'RATE_LIMITED');
    expect(res!.errors![0]!.extensions?.retryAfter).toBeGreaterThan(0);
  });
});

function track(c: Client): Client {
  clients.push(c);
  return c;
}
