// `npm run bench:notify`: an announcement to a course of BENCH_STUDENTS students (default 10,000,
// inserted in SQL): the time from `announce` until every student's notification is stored, and from
// `announce` to the live event at BENCH_SUBSCRIBERS of those students (default 1,000), each signed
// in with its own token and subscribed to `notificationAdded` through the router (graphql-ws, one
// socket each). A first announcement warms up and proves every subscription is live; then
// BENCH_ANNOUNCEMENTS (default 3) are measured one after the other. Every service is a separate
// production process; email is off for the students (their preference, inserted in SQL) unless
// BENCH_EMAIL=1, so the fan-out is measured, not the mailer.
import { availableParallelism } from 'node:os';
import { gql } from '@ai-teacher/shared/testing';
import { type Client, createClient } from 'graphql-ws';
import pg from 'pg';
import { WebSocket } from 'ws';
import { PasswordHasher } from '../subgraphs/auth/src/services/password.service.ts';
import { percentile, pool, startBenchStackAsAdmin } from './lib.ts';

const STUDENTS = Number(process.env.BENCH_STUDENTS ?? 10_000);
const SUBSCRIBERS = Math.min(STUDENTS, Number(process.env.BENCH_SUBSCRIBERS ?? 1_000));
const ANNOUNCEMENTS = Number(process.env.BENCH_ANNOUNCEMENTS ?? 3);
const LOGIN_CONCURRENCY = Number(process.env.BENCH_LOGIN_CONCURRENCY ?? 8);
const EMAIL = process.env.BENCH_EMAIL === '1';
const STUDENT_PASSWORD = 'notify bench shared secret 9';
const ANNOUNCE = `mutation($c: ID!, $t: String!, $b: String!) { announce(courseId: $c, title: $t, body: $b) }`;
const ADDED = `subscription { notificationAdded { id kind title } }`;


const { stack, token: adminToken, run } = await startBenchStackAsAdmin({ ANNOUNCE_PER_HOUR: '1000' });
const sockets: Client[] = [];
const sql = new pg.Client({ connectionString: stack.databaseUrl });
try {
  await sql.connect();
  // 1. The course and its students: accounts with a real argon2 hash of one shared password
  // (computed once, auth's own hasher at its default cost), enrolled in SQL (no ENROLLED events).
  await run(`mutation($d: String!) { importAcademicData(format: CSV, document: $d) { applied } }`, { d: 'faculty,department,semester,course_code,course_title\nScience,Physics,Fall 2026,PHY101,Mechanics' });
  const courseId = (await run(`{ faculties { departments { semesters { courses { id } } } } }`)).faculties[0].departments[0].semesters[0].courses[0].id as string;
  const hash = await new PasswordHasher(19_456, 2).hash(STUDENT_PASSWORD);
  await sql.query(
    `insert into auth.users (id, email, password_hash, role, display_name, created_at, updated_at)
     select gen_random_uuid(), 'student' || i || '@bench.test', $2, 'STUDENT', 'Student ' || i, now(), now()
     from generate_series(1, $1::int) as i`,
    [STUDENTS, hash],
  );
  await sql.query(`insert into academic.enrollments (course_id, user_id, created_at) select $1, id, now() from auth.users where email like 'student%@bench.test'`, [courseId]);
  if (!EMAIL) {
    await sql.query(
      `insert into notification.preferences (user_id, kind, in_app, email, updated_at)
       select id, 'ANNOUNCEMENT', true, false, now() from auth.users where email like 'student%@bench.test'`,
    );
  }

  // 2. SUBSCRIBERS students signed in (argon2 verification bounded to a few at a time), each on its
  // own socket through the router.
  const loginStarted = performance.now();
  const tokens: string[] = new Array(SUBSCRIBERS);
  await pool(Array.from({ length: SUBSCRIBERS }, (_, i) => i), LOGIN_CONCURRENCY, async (i) => {
    const res = await gql(stack.routerUrl, 'mutation($i: LoginInput!) { login(input: $i) { accessToken } }', { i: { email: `student${i + 1}@bench.test`, password: STUDENT_PASSWORD } });
    if (res.errors) throw new Error(`login of student${i + 1}: ${JSON.stringify(res.errors)}`);
    tokens[i] = (res.data!.login as { accessToken: string }).accessToken;
  });
  const loginSeconds = (performance.now() - loginStarted) / 1000;

  /** Per announcement title, when each subscriber saw it (ms, performance.now()). */
  const arrivals = new Map<string, number[]>();
  /** Subscribers that have had at least one event (their subscription is live end to end). */
  const live = new Set<number>();
  let subscriptionErrors = 0;
  let firstError = '';
  for (const [n, token] of tokens.entries()) {
    const client = createClient({ url: stack.routerUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, lazy: false, retryAttempts: 0 });
    sockets.push(client);
    client.subscribe<{ notificationAdded: { title: string } }>(
      { query: ADDED },
      {
        next: (r) => {
          const at = performance.now();
          const title = r.data?.notificationAdded.title;
          if (!title) return;
          live.add(n);
          const list = arrivals.get(title) ?? [];
          list.push(at);
          arrivals.set(title, list);
        },
        error: (err) => {
          subscriptionErrors++;
          firstError ||= err instanceof Error ? err.message : JSON.stringify(err).slice(0, 300);
        },
        complete: () => undefined,
      },
    );
  }

  const storedCount = async (title: string) => Number((await sql.query(`select count(*)::int as n from notification.notifications where kind = 'ANNOUNCEMENT' and title = $1`, [title])).rows[0].n);
  /** One announcement: announce → every row stored, and each subscriber's arrival time. */
  const announce = async (title: string, waitForSubscribersMs: number) => {
    const t0 = performance.now();
    const res = await gql(stack.routerUrl, ANNOUNCE, { c: courseId, t: title, b: 'The lab moves to room 2, same time.' }, { token: adminToken });
    const mutationMs = performance.now() - t0;
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    if (res.data!.announce !== STUDENTS) throw new Error(`announce counted ${res.data!.announce} students, expected ${STUDENTS}`);
    let storedMs = NaN;
    const deadline = t0 + 300_000;
    while (performance.now() < deadline) {
      if ((await storedCount(title)) >= STUDENTS) {
        storedMs = performance.now() - t0;
        break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    if (Number.isNaN(storedMs)) throw new Error(`${title}: not every notification stored after 300 s`);
    // The live events: wait (bounded) for the last subscribers.
    const liveDeadline = performance.now() + waitForSubscribersMs;
    while ((arrivals.get(title)?.length ?? 0) < SUBSCRIBERS && performance.now() < liveDeadline) await new Promise((r) => setTimeout(r, 20));
    const live = (arrivals.get(title) ?? []).map((at) => at - t0).sort((a, b) => a - b);
    return { mutationMs, storedMs, live };
  };

  // 3. Warm-up: every subscription open at the router, then announcements until every subscriber
  // has had one (a subscription is live end to end only once the notification subgraph has
  // subscribed to the user's Redis channel, which the client is not told).
  const metricsUrl = `http://127.0.0.1:${stack.ports.routerMetrics}/metrics`;
  const openAtRouter = async () => Number((await (await fetch(metricsUrl)).text()).match(/^(?:router_)?graphql_subscriptions_active(?:\{[^}]*\})? (\S+)/m)?.[1] ?? 0);
  for (let waited = 0; (await openAtRouter()) < SUBSCRIBERS && waited < 120_000; waited += 250) await new Promise((r) => setTimeout(r, 250));
  const rows: { name: string; mutationMs: number; storedMs: number; live: number[] }[] = [];
  for (let round = 1; live.size < SUBSCRIBERS; round++) {
    if (round > 5) throw new Error(`after 5 warm-up announcements only ${live.size} of ${SUBSCRIBERS} subscribers get events (${subscriptionErrors} subscription errors${firstError ? `: ${firstError}` : ''})`);
    rows.push({ name: `warm-up ${round}`, ...(await announce(`warm-up ${round}`, 10_000)) });
  }
  const warmups = rows.length;

  // 4. The measured announcements, one after the other.
  for (let i = 1; i <= ANNOUNCEMENTS; i++) rows.push({ name: `#${i}`, ...(await announce(`announcement ${i}`, 30_000)) });

  const f = (ms: number) => (ms / 1000).toFixed(2).padStart(8);
  const g = (ms: number) => ms.toFixed(0).padStart(7);
  console.log(`\nAnnouncement fan-out — ${STUDENTS} students, ${SUBSCRIBERS} of them subscribed (one graphql-ws socket each, through the router)`);
  console.log(`every service a separate production process, ${process.version}, ${availableParallelism()} cores (load generator on the same machine); NOTIFY_BATCH_SIZE default; email ${EMAIL ? 'ON (default preferences, .eml files)' : 'off (students\' preference)'}`);
  console.log(`set-up: ${SUBSCRIBERS} logins in ${loginSeconds.toFixed(1)} s (${LOGIN_CONCURRENCY} at a time)\n`);
  console.log('announcement | announce ms |  all stored s | live: got |  first ms |    p50 ms |    p95 ms |    max ms');
  console.log('-------------|-------------|---------------|-----------|-----------|-----------|-----------|----------');
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(12)} | ${r.mutationMs.toFixed(0).padStart(11)} | ${f(r.storedMs).padStart(13)} | ${`${r.live.length}/${SUBSCRIBERS}`.padStart(9)} |   ${g(percentile(r.live, 0))} |   ${g(percentile(r.live, 50))} |   ${g(percentile(r.live, 95))} |   ${g(percentile(r.live, 100))}`,
    );
  }
  const measured = rows.slice(warmups);
  const all = measured.flatMap((r) => r.live).sort((a, b) => a - b);
  const stored = measured.map((r) => r.storedMs).sort((a, b) => a - b);
  console.log(
    `\nmeasured (${measured.length}): all ${STUDENTS} stored in ${f(percentile(stored, 50)).trim()} s median (${(STUDENTS / (percentile(stored, 50) / 1000)).toFixed(0)} notifications/s); announce → live event p50 ${percentile(all, 50).toFixed(0)} ms, p95 ${percentile(all, 95).toFixed(0)} ms over ${all.length} deliveries`,
  );
  console.log(`subscription errors: ${subscriptionErrors}${firstError ? ` (first: ${firstError})` : ''}; missed live events: ${measured.reduce((n, r) => n + SUBSCRIBERS - r.live.length, 0)}\n`);
  if (subscriptionErrors || measured.some((r) => r.live.length < SUBSCRIBERS)) process.exitCode = 1;
} finally {
  await Promise.all(sockets.map((s) => s.dispose()));
  await sql.end().catch(() => undefined);
  await stack.stop();
}
