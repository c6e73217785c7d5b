// The academic subgraph's schema and resolvers executed in process (Apollo's executeOperation), with
// the context the kit builds for each request, against a real Postgres and Redis, and the real auth
// subgraph behind the user directory: every @key's reference resolver (`_entities`, what the router
// sends when another subgraph points at academic's types), queries, mutations and the bulk import's
// all-or-nothing write.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startAuthSubgraph } from '@ai-teacher/auth';
import { type Env, type Identity, type RunningSubgraph } from '@ai-teacher/shared';
import {
  createTestDatabase,
  createTestRedis,
  type InProcessSubgraph,
  openSubgraphInProcess,
  type OperationResult,
  registerStudent,
  tempDir,
  type TestDatabase,
  type TestRedis,
} from '@ai-teacher/shared/testing';
import type { AcademicConfig } from '../src/config.ts';
import type { AcademicServices } from '../src/service.ts';
import { academicSubgraph } from '../src/subgraph.ts';

const dataDir = tempDir();
const identitySecret = randomBytes(32).toString('hex');
let db: TestDatabase;
let redis: TestRedis;
let auth: RunningSubgraph;
let academic: InProcessSubgraph<AcademicConfig, AcademicServices>;

const admin: Identity = { userId: '00000000-0000-4000-8000-00000000a0a0', role: 'ADMIN' };
let enrolled: Identity;
let outsider: Identity;
let ids: { faculty: string; department: string; semester: string; course: string; book: string };
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

/** One operation, with a context built the way the kit builds it for an HTTP request. */
const run = (query: string, variables: Record<string, unknown>, identity: Identity | null) => academic.run(query, variables, identity);

async function asAdmin(query: string, variables: Record<string, unknown> = {}): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await run(query, variables, admin);
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data!;
}

/** A STUDENT account in auth, registered the way a client registers. */
const student = async (email: string): Promise<Identity> => ({ userId: await registerStudent(auth, identitySecret, email, `Student ${email}`), role: 'STUDENT' });

const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) {
  __typename
  ... on Faculty { id name }
  ... on Department { id name }
  ... on Semester { id name }
  ... on Course { id code }
  ... on Book { id title }
  ... on User { id profile { displayName } }
} }`;
const entity = (typename: string, id: string, identity: Identity | null) => run(ENTITIES, { r: [{ __typename: typename, id }] }, identity);
const code = (res: OperationResult) => res.errors?.[0]?.extensions?.code;

beforeAll(async () => {
  [db, redis] = await Promise.all([createTestDatabase('ait_academic'), createTestRedis()]);
  const env: Env = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dataDir.path,
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: redis.prefix,
    IDENTITY_SECRET: identitySecret,
    MIGRATE_ON_START: 'true',
  };
  auth = await startAuthSubgraph(env);
  academic = await openSubgraphInProcess(academicSubgraph, { ...env, AUTH_INTERNAL_URL: auth.url });

  [enrolled, outsider] = await Promise.all([student('enrolled@uni.test'), student('outsider@uni.test')]);
  const f = await asAdmin(`mutation { createFaculty(name: "Engineering") { id } }`);
  const d = await asAdmin(`mutation($f: ID!) { createDepartment(facultyId: $f, name: "Computer Science") { id } }`, { f: f.createFaculty.id });
  const s = await asAdmin(`mutation($d: ID!) { createSemester(departmentId: $d, name: "Fall 2026") { id } }`, { d: d.createDepartment.id });
  const c = await asAdmin(`mutation($s: ID!) { createCourse(semesterId: $s, code: "cs101", title: "Intro to Python") { id } }`, { s: s.createSemester.id });
  const b = await asAdmin(`mutation($c: ID!) { createBook(courseId: $c, title: "Python Basics", authors: ["Ada"]) { id } }`, { c: c.createCourse.id });
  await asAdmin(`mutation($c: ID!, $u: ID!) { enrollStudent(courseId: $c, userId: $u) { id } }`, { c: c.createCourse.id, u: enrolled.userId });
  ids = { faculty: f.createFaculty.id, department: d.createDepartment.id, semester: s.createSemester.id, course: c.createCourse.id, book: b.createBook.id };
}, 60_000);

afterAll(async () => {
  await academic?.stop();
  await auth?.stop();
  await db?.drop();
  await redis?.cleanup();
  dataDir.remove();
});

describe('_entities', () => {
  it.each([
    ['Faculty', () => ids.faculty, { name: 'Engineering' }],
    ['Department', () => ids.department, { name: 'Computer Science' }],
    ['Semester', () => ids.semester, { name: 'Fall 2026' }],
    ['Course', () => ids.course, { code: 'CS101' }],
    ['Book', () => ids.book, { title: 'Python Basics' }],
    ['User', () => enrolled.userId, { profile: { displayName: 'Student enrolled@uni.test' } }],
  ])('an admin resolves a %s by id', async (typename, id, fields) => {
    const res = await entity(typename, id(), admin);
    expect(res.errors).toBeUndefined();
    expect(res.data!._entities).toEqual([{ __typename: typename, id: id(), ...fields }]);
  });

  it.each(['Faculty', 'Department', 'Semester', 'Course', 'Book'])('an unknown %s id is NOT_FOUND', async (typename) => {
    const res = await entity(typename, UNKNOWN, admin);
    expect(code(res)).toBe('NOT_FOUND');
    expect(res.errors![0]!.message).toBe(`No ${typename.toLowerCase()} with this id`);
    expect(res.data!._entities).toEqual([null]);
  });

  it('a User is auth’s: academic answers any id with what it adds (no profile for an unknown user)', async () => {
    const res = await entity('User', UNKNOWN, admin);
    expect(res.errors).toBeUndefined();
    expect(res.data!._entities).toEqual([{ __typename: 'User', id: UNKNOWN, profile: null }]);
  });

  it('a malformed id is BAD_USER_INPUT on id', async () => {
    const res = await entity('Course', 'not-an-id', admin);
    expect(code(res)).toBe('BAD_USER_INPUT');
    expect(res.errors![0]!.extensions!.field).toBe('id');
  });

  it.each([
    ['Course', () => ids.course, { code: 'CS101' }],
    ['Book', () => ids.book, { title: 'Python Basics' }],
  ])('a %s reference: FORBIDDEN to a student not enrolled, resolved for an enrolled one', async (typename, id, fields) => {
    const refused = await entity(typename, id(), outsider);
    expect(code(refused)).toBe('FORBIDDEN');
    expect(refused.errors![0]!.message).toBe('You are not enrolled in or teaching this course');
    expect(refused.data!._entities).toEqual([null]);
    const allowed = await entity(typename, id(), enrolled);
    expect(allowed.errors).toBeUndefined();
    expect(allowed.data!._entities).toEqual([{ __typename: typename, id: id(), ...fields }]);
  });

  it('anonymous callers resolve nothing', async () => {
    expect(code(await entity('Course', ids.course, null))).toBe('UNAUTHENTICATED');
    expect(code(await entity('Faculty', ids.faculty, null))).toBe('UNAUTHENTICATED');
  });

  it('resolves a batch of references with one answer per representation, in order', async () => {
    const res = await run(ENTITIES, { r: [{ __typename: 'Book', id: ids.book }, { __typename: 'Course', id: UNKNOWN }, { __typename: 'Course', id: ids.course }] }, enrolled);
    expect(res.data!._entities).toEqual([{ __typename: 'Book', id: ids.book, title: 'Python Basics' }, null, { __typename: 'Course', id: ids.course, code: 'CS101' }]);
    expect(res.errors!.map((e) => [e.path, e.extensions!.code])).toEqual([[['_entities', 1], 'NOT_FOUND']]);
  });
});

describe('Query', () => {
  const TREE = `{ faculties { name departments { name semesters { name courses { code books { title } } } } } }`;

  it('shows each caller the hierarchy with only the courses it may read', async () => {
    const tree = (courses: unknown[]) => [{ name: 'Engineering', departments: [{ name: 'Computer Science', semesters: [{ name: 'Fall 2026', courses }] }] }];
    expect((await run(TREE, {}, enrolled)).data).toEqual({ faculties: tree([{ code: 'CS101', books: [{ title: 'Python Basics' }] }]) });
    expect((await run(TREE, {}, outsider)).data).toEqual({ faculties: tree([]) });
  });

  it('course(id) and myCourses follow the same rule', async () => {
    const Q = `query($id: ID!) { course(id: $id) { code faculty { name } } myCourses { code } }`;
    expect((await run(Q, { id: ids.course }, enrolled)).data).toEqual({ course: { code: 'CS101', faculty: { name: 'Engineering' } }, myCourses: [{ code: 'CS101' }] });
    expect(code(await run(Q, { id: ids.course }, outsider))).toBe('FORBIDDEN');
    expect((await run(`{ myCourses { code } }`, {}, outsider)).data).toEqual({ myCourses: [] });
  });
});

describe('Mutation createFaculty', () => {
  const CREATE = `mutation($n: String!) { createFaculty(name: $n) { id name } }`;

  it('creates a faculty for an ADMIN, with its name cleaned up', async () => {
    const res = await run(CREATE, { n: '  Medicine   and Health ' }, admin);
    expect(res.errors).toBeUndefined();
    expect(res.data!.createFaculty).toEqual({ id: expect.any(String), name: 'Medicine and Health' });
    expect((await entity('Faculty', res.data!.createFaculty.id, admin)).data!._entities).toEqual([{ __typename: 'Faculty', ...res.data!.createFaculty }]);
  });

  it('is FORBIDDEN to a student, and writes nothing', async () => {
    const res = await run(CREATE, { n: 'Student Faculty' }, enrolled);
    expect(code(res)).toBe('FORBIDDEN');
    expect(res.errors![0]!.message).toBe('Only administrators can do this');
    const { faculties } = await asAdmin(`{ faculties { name } }`);
    expect(faculties.map((f: { name: string }) => f.name)).not.toContain('Student Faculty');
  });

  it('refuses a duplicate name, whatever its case, as CONFLICT on name', async () => {
    const res = await run(CREATE, { n: 'ENGINEERING' }, admin);
    expect(code(res)).toBe('CONFLICT');
    expect(res.errors![0]!.extensions!.field).toBe('name');
    expect(res.errors![0]!.message).toBe('A faculty with this name already exists');
  });
});

describe('Mutation importAcademicData', () => {
  const IMPORT = `mutation($d: String!) { importAcademicData(format: CSV, document: $d) { applied coursesCreated enrollmentsCreated errors { row field message } } }`;
  const header = 'faculty,department,semester,course_code,course_title,student_email';

  it('writes nothing when a course turns out new without a title, although its rows were valid', async () => {
    const doc = [header, 'Law,Civil Law,Y1,LAW1,Contracts,', 'Law,Civil Law,Y1,LAW2,,'].join('\n');
    expect((await asAdmin(IMPORT, { d: doc })).importAcademicData).toEqual({
      applied: false,
      coursesCreated: 0,
      enrollmentsCreated: 0,
      errors: [{ row: 2, field: 'course_title', message: 'course LAW2 is new: give its title' }],
    });
    const { faculties } = await asAdmin(`{ faculties { name } }`);
    expect(faculties.map((f: { name: string }) => f.name)).not.toContain('Law'); // the faculty upserted first was rolled back
  });

  it('links students to an existing course named without its title, and the next request sees it', async () => {
    const late = await student('late@uni.test');
    expect(code(await entity('Course', ids.course, late))).toBe('FORBIDDEN');
    const doc = [header, `engineering,COMPUTER SCIENCE,fall 2026,cs101,,late@uni.test`].join('\n');
    expect((await asAdmin(IMPORT, { d: doc })).importAcademicData).toEqual({ applied: true, coursesCreated: 0, enrollmentsCreated: 1, errors: [] });
    expect((await entity('Course', ids.course, late)).data!._entities).toEqual([{ __typename: 'Course', id: ids.course, code: 'CS101' }]);
  });

  it('is for ADMIN only', async () => {
    expect(code(await run(IMPORT, { d: `faculty\nNobody's Faculty` }, enrolled))).toBe('FORBIDDEN');
  });
});
