// The academic subgraph through the router: who may change and read what, bad input, paging,
// batching, bulk import, and the trusted course scope other subgraphs rely on.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { courseAccessRoute, CourseScopeClient } from '@ai-teacher/academic/contracts';
import { createRedis, InternalCallError, InternalClient, type Redis } from '@ai-teacher/shared';
import { errorCode, type GraphQLResponse } from '@ai-teacher/shared/testing';
import { ADMIN, login, newEmail, REFRESH, registerUser, SET_ROLE, startStack, type Session, type Stack } from '../support/stack.ts';

let stack: Stack;
let admin: Session;
type Caller = 'admin' | 'courseTeacher' | 'otherTeacher' | 'enrolledStudent' | 'otherStudent' | 'anonymous';
const tokens = {} as Record<Caller, string | undefined>;
const users = {} as Record<Exclude<Caller, 'anonymous'>, string>;
let ids: { faculty: string; department: string; semester: string; course: string; book: string };
let extra: { student: string; teacher: string };
let n = 0;
const unique = (s: string) => `${s} ${++n}`;

async function asAdmin<T = Record<string, any>>(query: string, variables: Record<string, unknown> = {}): Promise<T> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await stack.query<T>(query, variables, admin.accessToken);
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data as T;
}

async function userWithRole(role: 'STUDENT' | 'TEACHER'): Promise<{ id: string; token: string }> {
  const u = await registerUser(stack, newEmail(role.toLowerCase()));
  if (role === 'STUDENT') return { id: u.user.id, token: u.accessToken };
  await asAdmin(SET_ROLE, { userId: u.user.id, role });
  const refreshed = await stack.query<{ refreshToken: Session }>(REFRESH, { token: u.refreshToken });
  return { id: u.user.id, token: refreshed.data!.refreshToken.accessToken };
}

beforeAll(async () => {
  stack = await startStack();
  admin = (await login(stack, ADMIN.email, ADMIN.password)).data!.login;
  tokens.admin = admin.accessToken;
  users.admin = admin.user.id;
  for (const [caller, role] of [
    ['courseTeacher', 'TEACHER'],
    ['otherTeacher', 'TEACHER'],
    ['enrolledStudent', 'STUDENT'],
    ['otherStudent', 'STUDENT'],
  ] as const) {
    const u = await userWithRole(role);
    tokens[caller] = u.token;
    users[caller] = u.id;
  }
  extra = { student: (await userWithRole('STUDENT')).id, teacher: (await userWithRole('TEACHER')).id };
  const f = await asAdmin(`mutation { createFaculty(name: "Engineering") { id } }`);
  const d = await asAdmin(`mutation($f: ID!) { createDepartment(facultyId: $f, name: "Computer Science") { id } }`, { f: f.createFaculty.id });
  const s = await asAdmin(`mutation($d: ID!) { createSemester(departmentId: $d, name: "Fall 2026") { id } }`, { d: d.createDepartment.id });
  const c = await asAdmin(`mutation($s: ID!) { createCourse(semesterId: $s, code: "cs101", title: "Intro to Python") { id code } }`, { s: s.createSemester.id });
  await asAdmin(`mutation($c: ID!, $u: ID!) { assignTeacher(courseId: $c, userId: $u) { id } }`, { c: c.createCourse.id, u: users.courseTeacher });
  await asAdmin(`mutation($c: ID!, $u: ID!) { enrollStudent(courseId: $c, userId: $u) { id } }`, { c: c.createCourse.id, u: users.enrolledStudent });
  const b = await asAdmin(`mutation($c: ID!) { createBook(courseId: $c, title: "Python Basics", authors: ["Ada"]) { id } }`, { c: c.createCourse.id });
  ids = { faculty: f.createFaculty.id, department: d.createDepartment.id, semester: s.createSemester.id, course: c.createCourse.id, book: b.createBook.id };
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

const ALL: Caller[] = ['admin', 'courseTeacher', 'otherTeacher', 'enrolledStudent', 'otherStudent', 'anonymous'];
const adminOnly: Record<Caller, string> = {
  admin: 'OK',
  courseTeacher: 'FORBIDDEN',
  otherTeacher: 'FORBIDDEN',
  enrolledStudent: 'FORBIDDEN',
  otherStudent: 'FORBIDDEN',
  anonymous: 'UNAUTHENTICATED',
};
const bookRule: Record<Caller, string> = { ...adminOnly, courseTeacher: 'OK' };
const anyoneSignedIn: Record<Caller, string> = { ...adminOnly, courseTeacher: 'OK', otherTeacher: 'OK', enrolledStudent: 'OK', otherStudent: 'OK' };

const mutations: [string, Record<Caller, string>, () => [string, Record<string, unknown>]][] = [
  ['createFaculty', adminOnly, () => [`mutation($n: String!) { createFaculty(name: $n) { id } }`, { n: unique('Faculty') }]],
  ['createDepartment', adminOnly, () => [`mutation($f: ID!, $n: String!) { createDepartment(facultyId: $f, name: $n) { id } }`, { f: ids.faculty, n: unique('Dept') }]],
  ['createSemester', adminOnly, () => [`mutation($d: ID!, $n: String!) { createSemester(departmentId: $d, name: $n) { id } }`, { d: ids.department, n: unique('Term') }]],
  ['createCourse', adminOnly, () => [`mutation($s: ID!, $c: String!) { createCourse(semesterId: $s, code: $c, title: "T") { id } }`, { s: ids.semester, c: `X${++n}` }]],
  ['createBook', bookRule, () => [`mutation($c: ID!, $t: String!) { createBook(courseId: $c, title: $t, authors: ["A"]) { id } }`, { c: ids.course, t: unique('Book') }]],
  ['updateBook', bookRule, () => [`mutation($b: ID!, $t: String!) { updateBook(id: $b, title: $t) { id } }`, { b: ids.book, t: unique('Python Basics, ed.') }]],
  ['assignTeacher', adminOnly, () => [`mutation($c: ID!, $u: ID!) { assignTeacher(courseId: $c, userId: $u) { id } }`, { c: ids.course, u: extra.teacher }]],
  ['unassignTeacher', adminOnly, () => [`mutation($c: ID!, $u: ID!) { unassignTeacher(courseId: $c, userId: $u) { id } }`, { c: ids.course, u: extra.teacher }]],
  ['enrollStudent', adminOnly, () => [`mutation($c: ID!, $u: ID!) { enrollStudent(courseId: $c, userId: $u) { id } }`, { c: ids.course, u: extra.student }]],
  ['unenrollStudent', adminOnly, () => [`mutation($c: ID!, $u: ID!) { unenrollStudent(courseId: $c, userId: $u) { id } }`, { c: ids.course, u: extra.student }]],
  ['updateMyProfile', anyoneSignedIn, () => [`mutation($n: String!) { updateMyProfile(displayName: $n) { displayName } }`, { n: unique('Name') }]],
  ['importAcademicData', adminOnly, () => [`mutation($d: String!) { importAcademicData(format: CSV, document: $d) { applied } }`, { d: `faculty\n${unique('Imported Faculty')}\n` }]],
];

const outcome = (res: GraphQLResponse<unknown>) => (res.errors ? String(errorCode(res)) : 'OK');

describe('every academic mutation × caller', () => {
  for (const [name, expected, make] of mutations) {
    it.each(ALL)(`${name} as %s`, async (caller) => {
      const [query, variables] = make();
      const res = await stack.query(query, variables, tokens[caller]);
      expect(outcome(res)).toBe(expected[caller]);
      if (expected[caller] !== 'OK') expect(res.data ?? null).toBeNull();
    });
  }

  it('refused callers wrote nothing', async () => {
    const { faculties } = await asAdmin<{ faculties: { name: string }[] }>(`{ faculties { name } }`);
    const created = faculties.map((f) => f.name).filter((x) => x.startsWith('Faculty') || x.startsWith('Imported Faculty'));
    expect(created).toHaveLength(2); // the admin's two, nobody else's
  });
});

describe('reading courses', () => {
  const COURSE = `query($id: ID!) { course(id: $id) { code title semester { name } department { name } faculty { name } books { title } teachers { id email profile { displayName } } } }`;
  const expected: Record<Caller, string> = { ...adminOnly, courseTeacher: 'OK', enrolledStudent: 'OK' };

  it.each(ALL)('course(id) as %s', async (caller) => {
    const res = await stack.query(COURSE, { id: ids.course }, tokens[caller]);
    expect(outcome(res)).toBe(expected[caller]);
    if (expected[caller] === 'OK') {
      expect(res.data!.course).toMatchObject({ code: 'CS101', semester: { name: 'Fall 2026' }, department: { name: 'Computer Science' }, faculty: { name: 'Engineering' } });
      expect(res.data!.course.teachers).toEqual([{ id: users.courseTeacher, email: expect.stringContaining('@uni.test'), profile: { displayName: expect.any(String) } }]);
    }
  });

  it('the hierarchy shows each caller only the courses it may read', async () => {
    const TREE = `{ faculties { name departments { semesters { courses { code } } } } }`;
    const codes = async (token?: string) => {
      const res = await stack.query(TREE, {}, token);
      return res.data!.faculties.flatMap((f: any) => f.departments.flatMap((d: any) => d.semesters.flatMap((s: any) => s.courses.map((c: any) => c.code)))); // eslint-disable-line @typescript-eslint/no-explicit-any
    };
    expect(await codes(tokens.enrolledStudent)).toEqual(['CS101']);
    expect(await codes(tokens.otherStudent)).toEqual([]);
    expect(await codes(tokens.courseTeacher)).toEqual(['CS101']);
    expect((await codes(tokens.admin)).length).toBeGreaterThan(1);
    expect(errorCode(await stack.query(TREE))).toBe('UNAUTHENTICATED');
  });

  it('myCourses and me { enrolledCourses teachingCourses profile }', async () => {
    const mine = await stack.query(`{ myCourses { code } me { enrolledCourses { code } teachingCourses { code } profile { displayName } } }`, {}, tokens.enrolledStudent);
    expect(mine.data).toEqual({ myCourses: [{ code: 'CS101' }], me: { enrolledCourses: [{ code: 'CS101' }], teachingCourses: [], profile: { displayName: expect.stringMatching(/^Name \d+$/) } } });
    const teacher = await stack.query(`{ myCourses { code } }`, {}, tokens.courseTeacher);
    expect(teacher.data!.myCourses).toEqual([{ code: 'CS101' }]);
  });

  it('a profile starts with the name given at registration and changes only for its owner', async () => {
    const fresh = await registerUser(stack, newEmail('profile'));
    const PROFILE = `{ me { profile { displayName } } }`;
    expect((await stack.query(PROFILE, {}, fresh.accessToken)).data!.me.profile).toEqual({ displayName: 'Test Student' });
    const res = await stack.query(`mutation { updateMyProfile(displayName: "  Grace   Hopper ") { displayName } }`, {}, fresh.accessToken);
    expect(res.data!.updateMyProfile).toEqual({ displayName: 'Grace Hopper' });
    expect((await stack.query(PROFILE, {}, fresh.accessToken)).data!.me.profile).toEqual({ displayName: 'Grace Hopper' });
    const blank = await stack.query(`mutation { updateMyProfile(displayName: " ") { displayName } }`, {}, fresh.accessToken);
    expect(errorCode(blank)).toBe('BAD_USER_INPUT');
    expect(blank.errors![0]!.extensions!.field).toBe('displayName');
  });

  it('an enrollment takes effect at once, and so does its removal (same access token)', async () => {
    const token = tokens.otherStudent;
    expect(errorCode(await stack.query(COURSE, { id: ids.course }, token))).toBe('FORBIDDEN');
    await asAdmin(`mutation($c: ID!, $u: ID!) { enrollStudent(courseId: $c, userId: $u) { id } }`, { c: ids.course, u: users.otherStudent });
    expect((await stack.query(COURSE, { id: ids.course }, token)).data!.course.code).toBe('CS101');
    await asAdmin(`mutation($c: ID!, $u: ID!) { unenrollStudent(courseId: $c, userId: $u) { id } }`, { c: ids.course, u: users.otherStudent });
    expect(errorCode(await stack.query(COURSE, { id: ids.course }, token))).toBe('FORBIDDEN');
  });

  it('students of a course are listed page by page for its teachers and admins only', async () => {
    const Q = `query($id: ID!, $after: String) { course(id: $id) { studentsConnection(first: 1, after: $after) { totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor } } } }`;
    const page = await stack.query(Q, { id: ids.course }, tokens.courseTeacher);
    expect(page.data!.course.studentsConnection).toMatchObject({ totalCount: 1, edges: [{ node: { id: users.enrolledStudent } }], pageInfo: { hasNextPage: false } });
    expect(errorCode(await stack.query(Q, { id: ids.course }, tokens.enrolledStudent))).toBe('FORBIDDEN');
    expect(errorCode(await stack.query(Q, { id: ids.course, after: 'garbage!' }, tokens.admin))).toBe('BAD_USER_INPUT');
  });
});

describe('bad input', () => {
  it.each([
    ['malformed id', `{ course(id: "abc") { id } }`, 'BAD_USER_INPUT', 'id'],
    ['unknown course', `{ course(id: "00000000-0000-4000-8000-000000000000") { id } }`, 'NOT_FOUND', undefined],
    ['blank faculty name', `mutation { createFaculty(name: "   ") { id } }`, 'BAD_USER_INPUT', 'name'],
    ['unknown faculty', `mutation { createDepartment(facultyId: "00000000-0000-4000-8000-000000000000", name: "X") { id } }`, 'NOT_FOUND', undefined],
    ['malformed faculty id', `mutation { createDepartment(facultyId: "1", name: "X") { id } }`, 'BAD_USER_INPUT', 'facultyId'],
    ['bad course code', `mutation($s: ID!) { createCourse(semesterId: $s, code: "!!", title: "T") { id } }`, 'BAD_USER_INPUT', 'code'],
    ['blank book title', `mutation($c: ID!) { createBook(courseId: $c, title: "", authors: []) { id } }`, 'BAD_USER_INPUT', 'title'],
    ['unknown user', `mutation($c: ID!) { enrollStudent(courseId: $c, userId: "00000000-0000-4000-8000-000000000000") { id } }`, 'NOT_FOUND', undefined],
    ['page too large', `{ faculties { departments { semesters { coursesConnection(first: 1000) { pageInfo { hasNextPage } } } } } }`, 'BAD_USER_INPUT', 'first'],
  ])('%s', async (_name, query, code, field) => {
    const res = await stack.query(query, { s: ids.semester, c: ids.course }, admin.accessToken);
    expect(errorCode(res)).toBe(code);
    if (field) expect(res.errors![0]!.extensions!.field).toBe(field);
  });

  it('a duplicate course code in a semester is CONFLICT, whatever its case', async () => {
    const res = await stack.query(`mutation($s: ID!) { createCourse(semesterId: $s, code: " Cs101 ", title: "Again") { id } }`, { s: ids.semester }, admin.accessToken);
    expect(errorCode(res)).toBe('CONFLICT');
    expect(res.errors![0]!.extensions!.field).toBe('code');
  });

  it('enrolling a teacher as a student is refused', async () => {
    const res = await stack.query(`mutation($c: ID!, $u: ID!) { enrollStudent(courseId: $c, userId: $u) { id } }`, { c: ids.course, u: users.otherTeacher }, admin.accessToken);
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(res.errors![0]!.extensions!.field).toBe('userId');
  });
});

describe('paging and batching', () => {
  let student: { id: string; token: string };
  beforeAll(async () => {
    student = await userWithRole('STUDENT');
    const me = await stack.query(`{ me { email } }`, {}, student.token);
    const rows = ['faculty,department,semester,course_code,course_title,student_email'];
    for (let i = 0; i < 50; i++) rows.push(`Science,Physics,Spring 2027,PHY${String(i).padStart(3, '0')},Physics ${i},${me.data!.me.email}`);
    const report = await asAdmin(`mutation($d: String!) { importAcademicData(format: CSV, document: $d) { applied coursesCreated enrollmentsCreated errors { row message } } }`, { d: rows.join('\n') });
    expect(report.importAcademicData).toMatchObject({ applied: true, coursesCreated: 50, enrollmentsCreated: 50, errors: [] });
  });

  it('pages through a semester’s courses with first/after', async () => {
    const codes: string[] = [];
    let after: string | null = null;
    // Pages through the tree: Faculty → Department → Semester.coursesConnection.
    for (;;) {
      const res: GraphQLResponse<any> = await stack.query( // eslint-disable-line @typescript-eslint/no-explicit-any
        `query($after: String) { faculties { name departments { semesters { id coursesConnection(first: 20, after: $after) { edges { node { code } } pageInfo { hasNextPage endCursor } } } } } }`,
        { after },
        student.token,
      );
      const conn = res.data!.faculties.find((f: { name: string }) => f.name === 'Science').departments[0].semesters[0].coursesConnection;
      codes.push(...conn.edges.map((e: { node: { code: string } }) => e.node.code));
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    expect(codes).toHaveLength(50);
    expect(codes).toEqual([...codes].sort());
    expect(new Set(codes).size).toBe(50);
  });

  it('50 courses with semester, department and faculty cost a small constant number of SQL statements', async () => {
    const metric = async () => Number(/^db_queries_total\{[^}]*\} (\d+)/m.exec(await (await fetch(`${stack.academic.url}/metrics`)).text())![1]);
    const before = await metric();
    const res = await stack.query(`{ myCourses { code semester { name } department { name } faculty { name } } }`, {}, student.token);
    const statements = (await metric()) - before;
    expect(res.data!.myCourses).toHaveLength(50);
    expect(res.data!.myCourses[0]).toMatchObject({ semester: { name: 'Spring 2027' }, department: { name: 'Physics' }, faculty: { name: 'Science' } });
    expect(statements).toBeLessThanOrEqual(6);
  });
});

describe('bulk import', () => {
  it('is idempotent: the same document twice creates nothing the second time', async () => {
    const teacher = await registerUser(stack, newEmail('importer'));
    await asAdmin(SET_ROLE, { userId: teacher.user.id, role: 'TEACHER' });
    const doc = JSON.stringify({
      faculties: [{ name: 'Arts', departments: [{ name: 'History', semesters: [{ name: 'Winter', courses: [{ code: 'his1', title: 'Ancient', teachers: [teacher.user.email.toUpperCase()], students: [] }] }] }] }],
    });
    const Q = `mutation($d: String!) { importAcademicData(format: JSON, document: $d) { applied rows facultiesCreated departmentsCreated semestersCreated coursesCreated teacherAssignmentsCreated enrollmentsCreated errors { row field message } } }`;
    const first = (await asAdmin(Q, { d: doc })).importAcademicData;
    expect(first).toEqual({ applied: true, rows: 2, facultiesCreated: 1, departmentsCreated: 1, semestersCreated: 1, coursesCreated: 1, teacherAssignmentsCreated: 1, enrollmentsCreated: 0, errors: [] });
    const second = (await asAdmin(Q, { d: doc })).importAcademicData;
    expect(second).toMatchObject({ applied: true, facultiesCreated: 0, departmentsCreated: 0, semestersCreated: 0, coursesCreated: 0, teacherAssignmentsCreated: 0 });
  });

  it('reports every bad row and writes nothing when any row is wrong', async () => {
    const csv = [
      'faculty,department,semester,course_code,course_title,student_email',
      'Medicine,Anatomy,Y1,ANA1,Bones,',
      'Medicine,,Y1,ANA2,Muscles,',
      'Medicine,Anatomy,Y1,ANA3,Nerves,nobody@uni.test',
      'Medicine,Anatomy,Y1,ANA4,Skin,not-an-email',
    ].join('\n');
    const res = (await asAdmin(`mutation($d: String!) { importAcademicData(format: CSV, document: $d) { applied errors { row field message } } }`, { d: csv })).importAcademicData;
    expect(res.applied).toBe(false);
    expect(res.errors.map((e: { row: number; field: string }) => [e.row, e.field])).toEqual([
      [2, 'department'],
      [4, 'student_email'],
      [3, 'student_email'],
    ]);
    const tree = await asAdmin(`{ faculties { name } }`);
    expect(tree.faculties.map((f: { name: string }) => f.name)).not.toContain('Medicine');
  });

  it('refuses a document that is not CSV or has unknown columns', async () => {
    const res = await stack.query(`mutation { importAcademicData(format: CSV, document: "colour,size\\nred,big") { applied } }`, {}, admin.accessToken);
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(res.errors![0]!.extensions!.field).toBe('document');
    expect(errorCode(await stack.query(`mutation { importAcademicData(format: JSON, document: "{") { applied } }`, {}, admin.accessToken))).toBe('BAD_USER_INPUT');
  });
});

describe('trusted course scope (what tutor, retrieval and exam use)', () => {
  let redis: Redis;
  let scope: CourseScopeClient;
  beforeAll(() => {
    redis = createRedis({ REDIS_URL: stack.env.REDIS_URL!, REDIS_KEY_PREFIX: stack.env.REDIS_KEY_PREFIX! });
    scope = new CourseScopeClient(new InternalClient({ secret: stack.serviceSecret, service: 'test', baseUrl: stack.academic.url }), redis);
  });
  afterAll(() => redis.disconnect());

  it('answers read/teach and the course’s place in the hierarchy', async () => {
    const student = await scope.access({ userId: users.enrolledStudent, role: 'STUDENT' }, ids.course);
    expect(student).toEqual({
      scope: { courseId: ids.course, semesterId: ids.semester, departmentId: ids.department, facultyId: ids.faculty },
      canRead: true,
      canTeach: false,
    });
    expect(await scope.access({ userId: users.courseTeacher, role: 'TEACHER' }, ids.course)).toMatchObject({ canRead: true, canTeach: true });
    expect(await scope.access({ userId: users.otherTeacher, role: 'TEACHER' }, ids.course)).toMatchObject({ canRead: false, canTeach: false });
    expect(await scope.access({ userId: users.otherStudent, role: 'STUDENT' }, '00000000-0000-4000-8000-000000000000')).toBeNull();
  });

  it('a removed enrollment stops access at once, although the answer was cached', async () => {
    const who = { userId: extra.student, role: 'STUDENT' as const };
    await asAdmin(`mutation($c: ID!, $u: ID!) { enrollStudent(courseId: $c, userId: $u) { id } }`, { c: ids.course, u: extra.student });
    expect((await scope.access(who, ids.course))!.canRead).toBe(true);
    expect((await scope.access(who, ids.course))!.canRead).toBe(true); // served from Redis
    await asAdmin(`mutation($c: ID!, $u: ID!) { unenrollStudent(courseId: $c, userId: $u) { id } }`, { c: ids.course, u: extra.student });
    expect((await scope.access(who, ids.course))!.canRead).toBe(false);
  });

  it('answers a malformed internal call with 400 and the field at fault', async () => {
    const client = new InternalClient({ secret: stack.serviceSecret, service: 'test', baseUrl: stack.academic.url });
    const err = await client.call(courseAccessRoute, { courseId: 'not-an-id', userId: users.enrolledStudent, role: 'STUDENT' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InternalCallError);
    expect(err).toMatchObject({ status: 400, code: 'BAD_USER_INPUT' });
    expect((err as Error).message).toMatch(/courseId/);
  });

  it('refuses callers without a service proof', async () => {
    const res = await fetch(`${stack.academic.url}${courseAccessRoute.path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ courseId: ids.course, userId: users.enrolledStudent, role: 'STUDENT' }) });
    expect(res.status).toBe(401);
    const lookup = await fetch(`${stack.auth.url}/internal/users/lookup`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-service-proof': 'forged' }, body: JSON.stringify({ ids: [users.admin] }) });
    expect(lookup.status).toBe(401);
    // …and the router does not route to them at all.
    expect((await fetch(stack.routerUrl.replace('/graphql', '/internal/users/lookup'), { method: 'POST' })).status).toBe(404);
  });
});
