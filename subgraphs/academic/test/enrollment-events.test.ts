// ENROLLED events and the course-members route, against real Postgres and Redis and the real auth
// subgraph behind the user directory, with academic served over HTTP as in production: an event is
// written in the transaction of each enrollment that is actually new (enrollStudent and the bulk
// import, set-based for 10,000), never for one that existed or one rolled back, and reaches the
// notify queue; the route pages through a course's students or teachers by user id.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startAuthSubgraph } from '@ai-teacher/auth';
import {
  bullPrefix,
  createOrm,
  createSubgraph,
  type DomainEvent,
  type Env,
  type Identity,
  InternalCallError,
  InternalClient,
  type MikroORM,
  notifyQueue,
  type RunningSubgraph,
} from '@ai-teacher/shared';
import { createTestDatabase, createTestRedis, freePort, jobOnQueue, registerStudent, signedOp, tempDir, type TestDatabase, type TestRedis } from '@ai-teacher/shared/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { CourseMembersClient, courseMembersRoute } from '../src/contracts.ts';
import { ormDefinition } from '../src/database.ts';
import { type ImportBatch, ImportRepository } from '../src/repositories/import.repository.ts';
import { academicSubgraph } from '../src/subgraph.ts';

const secret = randomBytes(32).toString('hex');
const serviceSecret = randomBytes(32).toString('hex');
const dataDir = tempDir();
const admin: Identity = { userId: '00000000-0000-4000-8000-00000000a0a0', role: 'ADMIN' };
let db: TestDatabase;
let redis: TestRedis;
let auth: RunningSubgraph;
let academic: RunningSubgraph;
let orm: MikroORM;
let queries = 0;
let connection: Redis;
let notify: Queue;
let members: CourseMembersClient;
let courseId: string;
let otherCourseId: string;

/** An operation on academic over HTTP, signed as the router signs it. */
const asAdmin = (query: string, variables: Record<string, unknown> = {}) => signedOp(academic, secret, admin, query, variables);
const student = (email: string) => registerStudent(auth, secret, email);

/** The ENROLLED events in academic's outbox for a course (all of them, or one student's). */
async function enrolledEvents(course: string, userId?: string): Promise<DomainEvent[]> {
  const rows = (await orm.em.fork().execute(
    `select event from academic.outbox where event->>'kind' = 'ENROLLED' and event->>'courseId' = ? and (?::text is null or event->'audience'->'userIds'->>0 = ?) order by created_at`,
    [course, userId ?? null, userId ?? null],
    'all',
  )) as { event: DomainEvent }[];
  return rows.map((r) => r.event);
}

/** Waits until the relay has put the event on the notify queue (kicked after the commit). */
const onQueue = (event: DomainEvent) => jobOnQueue(notify, notifyQueue.jobId(event));

const ENROLL = `mutation($c: ID!, $u: ID!) { enrollStudent(courseId: $c, userId: $u) { id } }`;
const IMPORT = `mutation($d: String!) { importAcademicData(format: CSV, document: $d) { applied enrollmentsCreated errors { row field message } } }`;
const header = 'faculty,department,semester,course_code,course_title,student_email';

beforeAll(async () => {
  [db, redis] = await Promise.all([createTestDatabase('ait_academic_events'), createTestRedis()]);
  const [authPort, academicPort] = [await freePort(), await freePort()];
  const env: Env = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir.path,
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: redis.prefix,
    IDENTITY_SECRET: secret,
    SERVICE_SECRET: serviceSecret,
    MIGRATE_ON_START: 'true',
    AUTH_INTERNAL_URL: `http://127.0.0.1:${authPort}`,
  };
  auth = await startAuthSubgraph({ ...env, PORT: String(authPort) });
  academic = await createSubgraph(academicSubgraph, { ...env, PORT: String(academicPort) });
  orm = await createOrm(ormDefinition, { DATABASE_URL: db.url, DB_POOL_MAX: 4, DB_DEBUG: false }, undefined, () => void queries++);
  connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  notify = new Queue(notifyQueue.name, { connection, prefix: bullPrefix(redis.prefix) });
  members = new CourseMembersClient(new InternalClient({ secret: serviceSecret, service: 'notification', baseUrl: academic.url }));

  await asAdmin(`mutation($d: String!) { importAcademicData(format: JSON, document: $d) { applied } }`, {
    d: JSON.stringify({ faculties: [{ name: 'Engineering', departments: [{ name: 'Computer Science', semesters: [{ name: 'Fall 2026', courses: [{ code: 'CS101', title: 'Intro to Python' }, { code: 'CS102', title: 'Data Structures' }] }] }] }] }),
  });
  const tree = await asAdmin(`{ faculties { departments { semesters { courses { id code } } } } }`);
  const courses = tree.faculties[0].departments[0].semesters[0].courses as { id: string; code: string }[];
  courseId = courses.find((c) => c.code === 'CS101')!.id;
  otherCourseId = courses.find((c) => c.code === 'CS102')!.id;
}, 60_000);

afterAll(async () => {
  await notify?.close();
  connection?.disconnect();
  await orm?.close();
  await academic?.stop();
  await auth?.stop();
  await db?.drop();
  await redis?.cleanup();
  dataDir.remove();
});

describe('ENROLLED', () => {
  it('enrollStudent writes one event for the student, which the relay puts on the notify queue', async () => {
    const ada = await student('ada@uni.test');
    await asAdmin(ENROLL, { c: courseId, u: ada });
    const events = await enrolledEvents(courseId, ada);
    expect(events).toEqual([
      {
        id: expect.any(String),
        kind: 'ENROLLED',
        courseId,
        title: 'Enrolled in CS101 Intro to Python',
        body: 'You are now enrolled in CS101 Intro to Python: its books, tutor and exams are open to you.',
        audience: { userIds: [ada] },
        data: { courseId },
        occurredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        producer: 'academic',
      },
    ]);
    expect(await onQueue(events[0]!)).toEqual(events[0]);
  });

  it('enrolling an enrolled student again sends nothing; enrolling after an unenrollment is a new enrollment', async () => {
    const bob = await student('bob@uni.test');
    await asAdmin(ENROLL, { c: courseId, u: bob });
    await asAdmin(ENROLL, { c: courseId, u: bob });
    expect(await enrolledEvents(courseId, bob)).toHaveLength(1);
    await asAdmin(`mutation($c: ID!, $u: ID!) { unenrollStudent(courseId: $c, userId: $u) { id } }`, { c: courseId, u: bob });
    await asAdmin(ENROLL, { c: courseId, u: bob });
    expect(await enrolledEvents(courseId, bob)).toHaveLength(2);
  });

  it('an import writes one event per new enrollment, none for one that existed, none when run again', async () => {
    const [cy, dee] = [await student('cy@uni.test'), await student('dee@uni.test')];
    await asAdmin(ENROLL, { c: otherCourseId, u: cy }); // cy is enrolled in CS102 already
    const doc = [
      header,
      'Engineering,Computer Science,Fall 2026,CS102,,cy@uni.test',
      'Engineering,Computer Science,Fall 2026,CS102,,dee@uni.test',
      'Engineering,Computer Science,Fall 2026,CS101,,dee@uni.test',
    ].join('\n');
    expect((await asAdmin(IMPORT, { d: doc })).importAcademicData).toEqual({ applied: true, enrollmentsCreated: 2, errors: [] });
    expect(await enrolledEvents(otherCourseId, cy)).toHaveLength(1); // from enrollStudent only
    const [inOther] = await enrolledEvents(otherCourseId, dee);
    const [inFirst] = await enrolledEvents(courseId, dee);
    expect(inOther).toMatchObject({ title: 'Enrolled in CS102 Data Structures', audience: { userIds: [dee] }, data: { courseId: otherCourseId } });
    expect(inFirst).toMatchObject({ title: 'Enrolled in CS101 Intro to Python', audience: { userIds: [dee] }, data: { courseId } });
    for (const e of [inOther!, inFirst!]) expect(await onQueue(e)).toEqual(e);

    expect((await asAdmin(IMPORT, { d: doc })).importAcademicData).toEqual({ applied: true, enrollmentsCreated: 0, errors: [] });
    expect(await enrolledEvents(otherCourseId, dee)).toHaveLength(1);
    expect(await enrolledEvents(courseId, dee)).toHaveLength(1);
  });

  it('an import that is rolled back writes no event', async () => {
    const eve = await student('eve@uni.test');
    // Valid rows, but a new course without a title: nothing at all is written.
    const doc = [header, 'Engineering,Computer Science,Fall 2026,CS101,,eve@uni.test', 'Engineering,Computer Science,Fall 2026,CS999,,eve@uni.test'].join('\n');
    const report = (await asAdmin(IMPORT, { d: doc })).importAcademicData;
    expect(report).toMatchObject({ applied: false, enrollmentsCreated: 0 });
    expect(await enrolledEvents(courseId, eve)).toEqual([]);

    // The enrollments and their events written, then the surrounding transaction fails: both go.
    const batch = batchFor('CS101', [eve]);
    await expect(
      orm.em.fork().transactional(async (tx) => {
        await new ImportRepository(tx).apply(batch);
        expect((await enrolledEvents(courseId, eve)).length).toBe(0); // not visible outside the transaction
        throw new Error('a later step fails');
      }),
    ).rejects.toThrow('a later step fails');
    expect(await enrolledEvents(courseId, eve)).toEqual([]);
    const [{ n }] = (await orm.em.fork().execute(`select count(*)::int as n from academic.enrollments where user_id = ?`, [eve], 'all')) as [{ n: number }];
    expect(n).toBe(0);
  });

  it('10,000 new enrollments in one import: 10,000 events in a handful of statements, none on a re-run', async () => {
    const users = Array.from({ length: 10_000 }, () => randomUUID());
    const batch = batchFor('CS102', users);
    const before = (await enrolledEvents(otherCourseId)).length;
    queries = 0;
    const outcome = await new ImportRepository(orm.em.fork()).apply(batch);
    expect(outcome).toMatchObject({ applied: true, counts: { enrollmentsCreated: 10_000 } });
    // begin, 3 hierarchy upserts + 3 look-ups, courses, teachers, enrollments with events, commit.
    expect(queries).toBeGreaterThan(3);
    expect(queries).toBeLessThanOrEqual(15);
    const events = await enrolledEvents(otherCourseId);
    expect(events.length - before).toBe(10_000);
    const recipients = new Set(events.flatMap((e) => e.audience.userIds ?? []));
    for (const u of users) expect(recipients.has(u)).toBe(true);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);

    const again = await new ImportRepository(orm.em.fork()).apply(batch);
    expect(again).toMatchObject({ applied: true, counts: { enrollmentsCreated: 0 } });
    expect((await enrolledEvents(otherCourseId)).length - before).toBe(10_000);
  }, 60_000);
});

/** An import batch that enrolls `users` in an existing course of the Fall 2026 semester. */
function batchFor(code: string, users: string[]): ImportBatch {
  return {
    faculties: ['Engineering'],
    departments: [{ faculty: 'Engineering', name: 'Computer Science' }],
    semesters: [{ faculty: 'Engineering', department: 'Computer Science', name: 'Fall 2026' }],
    courses: [{ key: code, faculty: 'Engineering', department: 'Computer Science', semester: 'Fall 2026', code }],
    teachers: [],
    students: users.map((userId) => ({ courseKey: code, userId })),
  };
}

describe('/internal/course-members', () => {
  let bigCourse: string;
  let students: string[];
  let teachers: string[];

  beforeAll(async () => {
    await asAdmin(`mutation($d: String!) { importAcademicData(format: JSON, document: $d) { applied } }`, {
      d: JSON.stringify({ faculties: [{ name: 'Engineering', departments: [{ name: 'Computer Science', semesters: [{ name: 'Fall 2026', courses: [{ code: 'BIG1', title: 'Large lecture' }] }] }] }] }),
    });
    const tree = await asAdmin(`{ faculties { departments { semesters { courses { id code } } } } }`);
    bigCourse = (tree.faculties[0].departments[0].semesters[0].courses as { id: string; code: string }[]).find((c) => c.code === 'BIG1')!.id;
    students = Array.from({ length: 1_203 }, () => randomUUID());
    teachers = [randomUUID(), randomUUID()];
    await new ImportRepository(orm.em.fork()).apply(batchFor('BIG1', students));
    await orm.em.fork().execute(
      `insert into academic.course_teachers (course_id, user_id, created_at) select ?, value::uuid, now() from jsonb_array_elements_text(?::jsonb)`,
      [bigCourse, JSON.stringify(teachers)],
      'run',
    );
  }, 60_000);

  it('pages through 1,203 students 500 at a time: 3 pages, in id order, no duplicates, no gaps, nobody from another course', async () => {
    const pages: string[][] = [];
    let after: string | null = null;
    do {
      const page: Awaited<ReturnType<CourseMembersClient['page']>> = await members.page(bigCourse, 'STUDENT', { after, limit: 500 });
      pages.push(page.userIds);
      after = page.next;
      if (after) expect(after).toBe(page.userIds[page.userIds.length - 1]);
    } while (after);
    expect(pages.map((p) => p.length)).toEqual([500, 500, 203]);
    const all = pages.flat();
    expect(all).toEqual([...students].sort());
    expect(new Set(all).size).toBe(1_203);
  });

  it('the default page is 500; batches() walks the same pages; teachers are a role of their own', async () => {
    const first = await members.page(bigCourse, 'STUDENT');
    expect(first.userIds).toHaveLength(500);
    const batches: string[][] = [];
    for await (const b of members.batches(bigCourse, 'STUDENT', 1000)) batches.push(b);
    expect(batches.map((b) => b.length)).toEqual([1000, 203]);
    expect(await members.page(bigCourse, 'TEACHER')).toEqual({ userIds: [...teachers].sort(), next: null });
  });

  it('a page exactly at the end has no next; an unknown course has no members', async () => {
    const page = await members.page(bigCourse, 'STUDENT', { after: [...students].sort()[1_202 - 3], limit: 3 });
    expect(page).toEqual({ userIds: [...students].sort().slice(1_200), next: null });
    expect(await members.page(randomUUID(), 'STUDENT')).toEqual({ userIds: [], next: null });
  });

  it('refuses bad input with BAD_USER_INPUT, and callers without the service proof', async () => {
    const client = new InternalClient({ secret: serviceSecret, service: 'notification', baseUrl: academic.url });
    for (const input of [
      { courseId: bigCourse, role: 'STUDENT', limit: 0 },
      { courseId: bigCourse, role: 'STUDENT', limit: 1001 },
      { courseId: bigCourse, role: 'ADMIN' },
      { courseId: 'nope', role: 'STUDENT' },
      { courseId: bigCourse, role: 'STUDENT', after: 'nope' },
    ]) {
      const err = await client.call(courseMembersRoute, input as never).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InternalCallError);
      expect((err as InternalCallError).code).toBe('BAD_USER_INPUT');
    }
    const forged = new InternalClient({ secret: randomBytes(32).toString('hex'), service: 'notification', baseUrl: academic.url });
    await expect(forged.call(courseMembersRoute, { courseId: bigCourse, role: 'STUDENT' })).rejects.toThrow(InternalCallError);
    // The router's identity key signs no service token.
    const withIdentityKey = new InternalClient({ secret, service: 'notification', baseUrl: academic.url });
    await expect(withIdentityKey.call(courseMembersRoute, { courseId: bigCourse, role: 'STUDENT' })).rejects.toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
  });
});
