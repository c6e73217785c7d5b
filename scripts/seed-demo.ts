// `npm run seed:demo`: a small university to try the API with, through the running router
// (start it first with `npm start`). Safe to run again: existing accounts and data are kept.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { devSecret, repoRoot } from '@ai-teacher/shared';

const url = process.env.ROUTER_URL ?? 'http://localhost:4000/graphql';
const adminEmail = process.env.ADMIN_EMAIL ?? 'admin@example.edu';
const adminPassword = process.env.ADMIN_PASSWORD ?? devSecret(process.env.DATA_DIR ?? join(repoRoot, '.data'), 'admin-password', () => {
  throw new Error('no ADMIN_PASSWORD set and no development admin yet: run `npm start` first');
});

interface GqlError { message: string; extensions?: { code?: string } }

/** A signed-in user's tokens; requests made with it refresh them when the router asks to. */
interface Session { accessToken: string; refreshToken: string; user: { id: string; email: string; role: string } }

async function post<T>(init: () => RequestInit, session?: Session): Promise<{ data?: T; errors?: GqlError[] }> {
  const send = async () => {
    const req = init();
    const headers = { ...(req.headers as Record<string, string>), ...(session ? { authorization: `Bearer ${session.accessToken}` } : {}) };
    return (await (await fetch(url, { ...req, headers })).json()) as { data?: T; errors?: GqlError[] };
  };
  const res = await send();
  // An access token the router no longer accepts (it expired, or a role change or sign-out revoked
  // it): refresh once, as any client does, and try again with the new token (and role).
  if (!session || res.errors?.[0]?.extensions?.code !== 'UNAUTHENTICATED') return res;
  const refreshed = await gql(`mutation($t: String!) { refreshToken(refreshToken: $t) { ${SIGN_IN} } }`, { t: session.refreshToken });
  if (!refreshed.data?.refreshToken) return res;
  Object.assign(session, refreshed.data.refreshToken);
  return send();
}

async function gql<T = any>(query: string, variables: Record<string, unknown> = {}, session?: Session): Promise<{ data?: T; errors?: GqlError[] }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  return post<T>(() => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) }), session);
}

async function must<T = any>(query: string, variables: Record<string, unknown> = {}, session?: Session): Promise<T> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await gql<T>(query, variables, session);
  if (res.errors?.length) throw new Error(res.errors.map((e) => `${e.extensions?.code}: ${e.message}`).join('; '));
  return res.data as T;
}

const SIGN_IN = `accessToken refreshToken user { id email role }`;

/** Registers, or signs in when the account exists. */
async function account(email: string, password: string, displayName: string): Promise<Session> {
  const reg = await gql(`mutation($i: RegisterInput!) { register(input: $i) { ${SIGN_IN} } }`, { i: { email, password, displayName } });
  if (reg.data?.register) return reg.data.register;
  if (reg.errors?.[0]?.extensions?.code !== 'CONFLICT') throw new Error(reg.errors?.[0]?.message);
  return (await must(`mutation($i: LoginInput!) { login(input: $i) { ${SIGN_IN} } }`, { i: { email, password } })).login;
}

try {
  const admin: Session = (await must(`mutation($i: LoginInput!) { login(input: $i) { ${SIGN_IN} } }`, { i: { email: adminEmail, password: adminPassword } })).login;
  const people = {
    teacher: { email: 'grace.teacher@example.edu', password: 'teach-demo-2026', name: 'Grace Teacher' },
    alice: { email: 'alice.student@example.edu', password: 'learn-demo-2026', name: 'Alice Student' },
    bob: { email: 'bob.student@example.edu', password: 'study-demo-2026', name: 'Bob Student' },
  };
  const teacher = await account(people.teacher.email, people.teacher.password, people.teacher.name);
  await account(people.alice.email, people.alice.password, people.alice.name);
  await account(people.bob.email, people.bob.password, people.bob.name);
  if (teacher.user.role !== 'TEACHER') {
    await must(`mutation($u: ID!) { setUserRole(userId: $u, role: TEACHER) { id } }`, { u: teacher.user.id }, admin);
  }

  const document = JSON.stringify({
    faculties: [{
      name: 'Faculty of Science',
      departments: [{
        name: 'Computer Science and Biology',
        semesters: [{
          name: 'Fall 2026',
          courses: [
            { code: 'CS101', title: 'Introduction to Python Programming', teachers: [people.teacher.email], students: [people.alice.email, people.bob.email] },
            { code: 'BIO110', title: 'The Chemistry of Life', teachers: [people.teacher.email], students: [people.alice.email] },
          ],
        }],
      }],
    }],
  });
  const report = (await must(`mutation($d: String!) { importAcademicData(format: JSON, document: $d) { applied errors { row message } } }`, { d: document }, admin)).importAcademicData;
  if (!report.applied) throw new Error(`import refused: ${JSON.stringify(report.errors)}`);

  const books: Record<string, { title: string; authors: string[]; file: string }> = {
    CS101: { title: 'Introduction to Python Programming', authors: ['Udayan Das', 'Aubrey Lawson', 'Chris Mayfield', 'Narges Norouzi'], file: 'intro-python-programming.pdf' },
    BIO110: { title: 'Biology 2e (Chapters 2–3)', authors: ['Mary Ann Clark', 'Matthew Douglas', 'Jung Choi'], file: 'biology-2e-excerpt.pdf' },
  };
  const { myCourses } = await must(`{ myCourses { id code books { id } } }`, {}, teacher);
  for (const course of myCourses as { id: string; code: string; books: unknown[] }[]) {
    const book = books[course.code];
    if (book && course.books.length === 0) {
      await must(`mutation($c: ID!, $t: String!, $a: [String!]!) { createBook(courseId: $c, title: $t, authors: $a) { id } }`, { c: course.id, t: book.title, a: book.authors }, admin);
    }
  }

  // The teacher uploads each course's textbook (when ../shared/data is there); the workers ingest it.
  const { myCourses: withBooks } = await must(`{ myCourses { code books { id ingestion { status } } } }`, {}, teacher);
  for (const course of withBooks as { code: string; books: { id: string; ingestion: { status: string } | null }[] }[]) {
    const pdf = join(repoRoot, '..', 'shared', 'data', 'textbooks', books[course.code]?.file ?? '-');
    const target = course.books[0];
    if (!target || !existsSync(pdf) || (target.ingestion && target.ingestion.status !== 'FAILED')) continue;
    const bytes = readFileSync(pdf);
    const upload = () => {
      const form = new FormData();
      form.append('operations', JSON.stringify({ query: 'mutation($b: ID!, $f: Upload!) { uploadBookFile(bookId: $b, file: $f) { status } }', variables: { b: target.id, f: null } }));
      form.append('map', JSON.stringify({ 0: ['variables.f'] }));
      form.append('0', new Blob([bytes], { type: 'application/pdf' }), books[course.code]!.file);
      return { method: 'POST', body: form, headers: { 'apollo-require-preflight': 'true' } };
    };
    const body = await post(upload, teacher);
    if (body.errors?.length) throw new Error(`upload of ${books[course.code]!.file}: ${body.errors[0]!.message}`);
    console.log(`uploaded ${books[course.code]!.file} for ${course.code}; ingestion runs in the background`);
  }

  console.log(`\nDemo university ready at ${url}\n`);
  console.log('  role     email                          password');
  console.log(`  ADMIN    ${adminEmail.padEnd(30)} ${process.env.ADMIN_PASSWORD ? '(your ADMIN_PASSWORD)' : adminPassword}`);
  console.log(`  TEACHER  ${people.teacher.email.padEnd(30)} ${people.teacher.password}   (teaches CS101, BIO110)`);
  console.log(`  STUDENT  ${people.alice.email.padEnd(30)} ${people.alice.password}   (CS101, BIO110)`);
  console.log(`  STUDENT  ${people.bob.email.padEnd(30)} ${people.bob.password}   (CS101)`);
  console.log('\nSign in with `mutation { login(input: { email: "…", password: "…" }) { accessToken } }`, then send');
  console.log('`Authorization: Bearer <accessToken>` and try `{ myCourses { id code title books { title ingestion { status progress } } } }`');
  console.log('and, once a book is READY, `{ searchCourseMaterial(courseId: "<id>", query: "How does a for loop work?") { pageStart pageEnd section text } }`.\n');
} catch (err) {
  console.error(`seed:demo failed: ${(err as Error).message}`);
  if ((err as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED') console.error(`Is the system running? Start it with \`npm start\` (router expected at ${url}).`);
  process.exit(1);
}
