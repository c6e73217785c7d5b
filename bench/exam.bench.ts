// `npm run bench:exam`: BENCH_STUDENTS students (default 500) take one exam at once through the
// router: each starts an attempt, reads its own view of the items, saves one answer per item (20,
// one after another) and submits; BENCH_CONCURRENCY students (default 100) are in flight at a time.
// Prints p50/p95/p99 of each operation and saveExamAnswer throughput, then reads every attempt back
// as the teacher and counts acknowledged answers that are missing or different ("lost answers",
// must be 0). Every service is a separate production process; the offline generator writes the exam.
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@ai-teacher/shared';
import { gql } from '@ai-teacher/shared/testing';
import pg from 'pg';
import { PasswordHasher } from '../subgraphs/auth/src/services/password.service.ts';
import { percentile, pool, startBenchStackAsAdmin, uploadBook, waitIngested } from './lib.ts';

const STUDENTS = Number(process.env.BENCH_STUDENTS ?? 500);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 100);
const LOGIN_CONCURRENCY = Number(process.env.BENCH_LOGIN_CONCURRENCY ?? 8);
const MC = 16;
const SA = 4;
const STUDENT_PASSWORD = 'exam bench shared secret 7';

const EXAM = `query($id: ID!) { exam(id: $id) { id status notice generator opensAt items { id type review } } }`;
const STUDENT_VIEW = `query($id: ID!) { exam(id: $id) { items { id type options { id } } } }`;
const START = `mutation($e: ID!) { startExamAttempt(examId: $e) { id status deadline } }`;
const SAVE = `mutation($a: ID!, $i: ID!, $o: ID, $t: String) { saveExamAnswer(attemptId: $a, itemId: $i, optionId: $o, text: $t) { optionId text item { id } } }`;
const SUBMIT = `mutation($a: ID!) { submitExamAttempt(attemptId: $a) { id status } }`;
const ATTEMPT = `query($id: ID!) { examAttempt(id: $id) { id status answers { optionId text item { id } } } }`;


/** Latencies and failures of one operation. */
class Timings {
  readonly ms: number[] = [];
  errors = 0;
  firstError: string | null = null;
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
  /** Sends the operation, times it; null (and counted) on a GraphQL or transport error. */
  async run<T = any>(token: string, query: string, variables: Record<string, unknown>): Promise<T | null> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const t0 = performance.now();
    try {
      const res = await gql<T>(routerUrl, query, variables, { token });
      this.ms.push(performance.now() - t0);
      if (res.errors) throw new Error(JSON.stringify(res.errors));
      return res.data!;
    } catch (err) {
      this.errors++;
      this.firstError ??= (err as Error).message.slice(0, 300);
      return null;
    }
  }
  row(): string {
    const s = [...this.ms].sort((a, b) => a - b);
    const f = (p: number) => percentile(s, p).toFixed(1).padStart(7);
    return `${this.name.padEnd(20)} | ${String(this.ms.length).padStart(6)} | ${f(50)} | ${f(95)} | ${f(99)} | ${percentile(s, 100).toFixed(0).padStart(7)} | ${String(this.errors).padStart(6)}`;
  }
}

const admin = await startBenchStackAsAdmin();
const { stack, token: adminToken, run } = admin;
const routerUrl = stack.routerUrl;
try {
  // 1. Students: inserted directly with a real argon2 hash of one shared password (computed once,
  // with auth's own hasher and default cost), so that `login` works without 500 registrations.
  const hash = await new PasswordHasher(19_456, 2).hash(STUDENT_PASSWORD);
  const sql = new pg.Client({ connectionString: stack.databaseUrl });
  await sql.connect();
  await sql.query(
    `insert into auth.users (id, email, password_hash, role, display_name, created_at, updated_at)
     select gen_random_uuid(), 'student' || i || '@bench.test', $2, 'STUDENT', 'Student ' || i, now(), now()
     from generate_series(1, $1::int) as i`,
    [STUDENTS, hash],
  );
  await sql.end();

  // 2. The course with every student enrolled (one CSV import), and the Python textbook.
  const rows = ['faculty,department,semester,course_code,course_title,student_email'];
  for (let i = 1; i <= STUDENTS; i++) rows.push(`Engineering,Computer Science,Fall 2026,CS101,Introduction to Python,student${i}@bench.test`);
  const imported = (await run(`mutation($d: String!) { importAcademicData(format: CSV, document: $d) { applied enrollmentsCreated errors { row message } } }`, { d: rows.join('\n') })).importAcademicData;
  if (!imported.applied || imported.enrollmentsCreated !== STUDENTS) throw new Error(`enrollment import: ${JSON.stringify(imported)}`);
  const courseId = (await run(`{ faculties { departments { semesters { courses { id } } } } }`)).faculties[0].departments[0].semesters[0].courses[0].id as string;
  const bookId = (await run(`mutation($c: ID!) { createBook(courseId: $c, title: "Introduction to Python Programming", authors: ["OpenStax"]) { id } }`, { c: courseId })).createBook.id as string;
  const up = await uploadBook(routerUrl, adminToken, bookId, readFileSync(join(repoRoot, '..', 'shared', 'data', 'textbooks', 'intro-python-programming.pdf')), 'python.pdf');
  if (up.errors) throw new Error(JSON.stringify(up.errors));
  const ingestion = await waitIngested(routerUrl, adminToken, courseId, bookId);
  if (ingestion.status !== 'READY') throw new Error(`ingestion ${ingestion.status}: ${ingestion.error}`);

  // 3. Tokens, a few logins at a time (argon2 verification is the cost being bounded).
  const loginStarted = performance.now();
  const tokens: string[] = new Array(STUDENTS);
  const logins = new Timings('login');
  await pool(Array.from({ length: STUDENTS }, (_, i) => i), LOGIN_CONCURRENCY, async (i) => {
    const res = await logins.run<{ login: { accessToken: string } }>('', 'mutation($i: LoginInput!) { login(input: $i) { accessToken } }', { i: { email: `student${i + 1}@bench.test`, password: STUDENT_PASSWORD } });
    if (!res) throw new Error(`login of student${i + 1} failed: ${logins.firstError}`);
    tokens[i] = res.login.accessToken;
  });
  const loginSeconds = (performance.now() - loginStarted) / 1000;

  // 4. The exam: 16 multiple-choice + 4 short-answer items from the whole book, every item
  // approved, published to open a few seconds from now for 60 minutes.
  const genStarted = performance.now();
  const examId = (await run(`mutation($i: GenerateExamInput!) { generateExam(input: $i) { id } }`, { i: { courseId, title: 'Bench exam', multipleChoice: MC, shortAnswer: SA } })).generateExam.id as string;
  let exam: { status: string; notice: string | null; generator: string; items: { id: string; type: string }[] };
  for (;;) {
    exam = (await run(EXAM, { id: examId })).exam;
    if (exam.status !== 'GENERATING') break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const genSeconds = (performance.now() - genStarted) / 1000;
  if (exam.status !== 'DRAFT') throw new Error(`generation ended ${exam.status}`);
  if (exam.items.length !== MC + SA) console.warn(`generation made ${exam.items.length} of ${MC + SA} items: ${exam.notice}`);
  for (const item of exam.items) await run(`mutation($i: ID!) { reviewExamItem(itemId: $i, review: APPROVED) { id } }`, { i: item.id });
  const opensAt = new Date(Date.now() + 4_000);
  const closesAt = new Date(opensAt.getTime() + 2 * 3600_000);
  await run(`mutation($e: ID!, $o: DateTime!, $c: DateTime!) { publishExam(examId: $e, opensAt: $o, closesAt: $c, durationMinutes: 60) { id status } }`, { e: examId, o: opensAt.toISOString(), c: closesAt.toISOString() });
  await new Promise((r) => setTimeout(r, Math.max(0, opensAt.getTime() - Date.now() + 250)));

  // 5. Every student at once (CONCURRENCY in flight): start, own view, 20 saves in turn, submit.
  const start = new Timings('startExamAttempt');
  const view = new Timings('exam (student view)');
  const save = new Timings('saveExamAnswer');
  const submit = new Timings('submitExamAttempt');
  /** Per student: the attempt and every answer the server acknowledged (item → optionId or text). */
  const acknowledged: { attemptId: string; answers: Map<string, { optionId: string | null; text: string | null }> }[] = [];
  let incomplete = 0;
  const phaseStarted = performance.now();
  await pool(tokens, CONCURRENCY, async (token, s) => {
    const started = await start.run<{ startExamAttempt: { id: string } }>(token, START, { e: examId });
    if (!started) return void incomplete++;
    const attemptId = started.startExamAttempt.id;
    const mine = { attemptId, answers: new Map<string, { optionId: string | null; text: string | null }>() };
    acknowledged.push(mine);
    const items = (await view.run<{ exam: { items: { id: string; type: string; options: { id: string }[] }[] } }>(token, STUDENT_VIEW, { id: examId }))?.exam.items;
    if (!items) return void incomplete++;
    for (const item of items) {
      const optionId = item.type === 'MULTIPLE_CHOICE' ? item.options[Math.floor(Math.random() * item.options.length)]!.id : null;
      const text = item.type === 'MULTIPLE_CHOICE' ? null : `Student ${s + 1}'s answer to ${item.id}: a value is stored in a variable and printed.`;
      const saved = await save.run<{ saveExamAnswer: { optionId: string | null; text: string | null } }>(token, SAVE, { a: attemptId, i: item.id, o: optionId, t: text });
      if (saved) mine.answers.set(item.id, { optionId, text });
    }
    if (!(await submit.run(token, SUBMIT, { a: attemptId }))) incomplete++;
  });
  const phaseSeconds = (performance.now() - phaseStarted) / 1000;

  // 6. Every attempt read back as the teacher: each acknowledged answer must be there, unchanged.
  let lost = 0;
  let checked = 0;
  let notSubmitted = 0;
  const lostExamples: string[] = [];
  await pool(acknowledged, 20, async ({ attemptId, answers }) => {
    const res = await gql(routerUrl, ATTEMPT, { id: attemptId }, { token: adminToken });
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    const attempt = res.data!.examAttempt as { status: string; answers: { optionId: string | null; text: string | null; item: { id: string } }[] };
    if (attempt.status === 'IN_PROGRESS') notSubmitted++;
    const stored = new Map(attempt.answers.map((a) => [a.item.id, a]));
    for (const [itemId, want] of answers) {
      checked++;
      const got = stored.get(itemId);
      if (!got || got.optionId !== want.optionId || got.text !== want.text) {
        lost++;
        if (lostExamples.length < 5) lostExamples.push(`${attemptId}/${itemId}: saved ${JSON.stringify(want)}, stored ${JSON.stringify(got ?? null)}`);
      }
    }
  });

  const requests = start.ms.length + view.ms.length + save.ms.length + submit.ms.length;
  console.log(`\nExam attempts through the router — ${STUDENTS} students × ${exam.items.length} answers, ${CONCURRENCY} students in flight, every service a separate production process`);
  console.log(`${process.version}, ${availableParallelism()} cores (load generator on the same machine)\n`);
  console.log(`set-up: ${STUDENTS} logins in ${loginSeconds.toFixed(1)} s (${LOGIN_CONCURRENCY} at a time, login p50 ${percentile([...logins.ms].sort((a, b) => a - b), 50).toFixed(0)} ms); exam of ${exam.items.length} items (${exam.generator}) generated in ${genSeconds.toFixed(1)} s${exam.notice ? ` — notice: ${exam.notice}` : ''}\n`);
  console.log('operation            |      n |  p50 ms |  p95 ms |  p99 ms |  max ms | errors');
  console.log('---------------------|--------|---------|---------|---------|---------|-------');
  for (const t of [start, view, save, submit]) console.log(t.row());
  console.log(`\nsaveExamAnswer throughput: ${(save.ms.length / phaseSeconds).toFixed(0)} saves/s (${save.ms.length} in ${phaseSeconds.toFixed(1)} s); all exam requests: ${(requests / phaseSeconds).toFixed(0)} req/s`);
  for (const t of [start, view, save, submit]) if (t.firstError) console.log(`first ${t.name} error: ${t.firstError}`);
  console.log(`students who did not finish: ${incomplete}; attempts still IN_PROGRESS after submitting: ${notSubmitted}`);
  console.log(`lost answers: ${lost} (of ${checked} acknowledged; target 0)`);
  for (const l of lostExamples) console.log(`  ${l}`);
  console.log('');
  if (lost > 0 || incomplete > 0 || notSubmitted > 0) process.exitCode = 1;
} finally {
  await stack.stop();
}
