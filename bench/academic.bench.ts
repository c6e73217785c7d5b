// `npm run bench:academic`: how long importing a 10,000-student enrollment takes through the router
// (CSV, one course), and how long the same document takes again (idempotent: nothing to write).
import { gql } from '@ai-teacher/shared/testing';
import pg from 'pg';
import { startBenchStack } from './lib.ts';

const STUDENTS = Number(process.env.BENCH_STUDENTS ?? 10_000);
const admin = { email: 'registrar@uni.test', password: 'keys to the registry 42' };
const stack = await startBenchStack({ ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password });
try {
  // Student accounts are inserted directly: registering 10,000 accounts through argon2 would
  // measure password hashing, not the import.
  const sql = new pg.Client({ connectionString: stack.databaseUrl });
  await sql.connect();
  await sql.query(
    `insert into auth.users (id, email, password_hash, role, display_name, created_at, updated_at)
     select gen_random_uuid(), 'student' || i || '@bench.test', 'x', 'STUDENT', 'Student ' || i, now(), now()
     from generate_series(1, $1::int) as i`,
    [STUDENTS],
  );
  await sql.end();

  const login = await gql(stack.routerUrl, 'mutation($i: LoginInput!) { login(input: $i) { accessToken } }', { i: admin });
  const token = (login.data!.login as { accessToken: string }).accessToken;
  const rows = ['faculty,department,semester,course_code,course_title,student_email'];
  for (let i = 1; i <= STUDENTS; i++) rows.push(`Faculty of Science,Computer Science,Fall 2026,CS101,Introduction to Python,student${i}@bench.test`);
  const document = rows.join('\n');
  const IMPORT = `mutation($d: String!) { importAcademicData(format: CSV, document: $d) { applied rows coursesCreated enrollmentsCreated errors { row message } } }`;

  const timed = async () => {
    const started = performance.now();
    // Bulk imports have their own route with a larger body limit (IMPORT_BODY_LIMIT).
    const res = await gql(`${stack.routerUrl}/import`, IMPORT, { d: document }, { token });
    const ms = performance.now() - started;
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return { ms, report: res.data!.importAcademicData as { applied: boolean; rows: number; enrollmentsCreated: number } };
  };
  const first = await timed();
  const again = await timed();
  console.log(`\nimportAcademicData, CSV of ${STUDENTS} enrollment rows (${(document.length / 1024).toFixed(0)} KiB), through the router, ${process.version}\n`);
  console.log(`first import : ${(first.ms / 1000).toFixed(2)} s  (applied=${first.report.applied}, enrollments created ${first.report.enrollmentsCreated})`);
  console.log(`same again   : ${(again.ms / 1000).toFixed(2)} s  (enrollments created ${again.report.enrollmentsCreated})`);
  console.log(`target       : under 10 s\n`);
} finally {
  await stack.stop();
}
