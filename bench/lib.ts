// Helpers for benchmarks: services run as separate processes, as deployed, against a throw-away
// database and Redis prefix; load and timing come from the benchmark's own process.
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSupergraphConfig, repoRoot } from '@ai-teacher/shared';
import { createTestDatabase, createTestRedis, freePort, gql, subgraphAddresses, tempDir } from '@ai-teacher/shared/testing';

export async function waitReady(url: string): Promise<void> {
  for (let i = 0; i < 120; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // starting
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`not ready: ${url}`);
}

export interface BenchStack {
  databaseUrl: string;
  secret: string;
  /** Each subgraph's port by name, plus the router's and the workers'. */
  ports: Record<string, number> & { router: number; routerMetrics: number; workers: number };
  routerUrl: string;
  /** Another router process over the same subgraphs, with `env` over the stack's settings. */
  startRouter(env: Record<string, string>): Promise<{ url: string; metricsUrl: string }>;
  stop(): Promise<void>;
}

/** Every subgraph of supergraph.yaml, the workers and the router as production processes on free ports. */
export async function startBenchStack(extraEnv: Record<string, string> = {}): Promise<BenchStack> {
  const db = await createTestDatabase('ait_bench');
  const redis = await createTestRedis();
  const dataDir = tempDir();
  const secret = randomBytes(32).toString('hex');
  const names = readSupergraphConfig().map((sg) => sg.name);
  const subgraphPorts: Record<string, number> = {};
  for (const name of names) subgraphPorts[name] = await freePort();
  const ports: BenchStack['ports'] = { ...subgraphPorts, router: await freePort(), routerMetrics: await freePort(), workers: await freePort() };
  const common = {
    ...process.env,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATA_DIR: dataDir.path,
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: redis.prefix,
    IDENTITY_SECRET: secret,
    SERVICE_SECRET: randomBytes(32).toString('hex'),
    MIGRATE_ON_START: 'true',
    ...subgraphAddresses(subgraphPorts),
    ...extraEnv,
  };
  const procs: ChildProcess[] = [];
  // BENCH_CPU_PROF=router (or tutor, retrieval, …): that process writes a V8 CPU profile to
  // BENCH_CPU_PROF_DIR (default .data/profiles) when it stops; open it in Chrome DevTools.
  const profiled = process.env.BENCH_CPU_PROF;
  const profileDir = process.env.BENCH_CPU_PROF_DIR ?? join(repoRoot, '.data', 'profiles');
  const run = (entry: string, env: Record<string, string>) => {
    const prof = profiled && entry.includes(`${profiled}/src/`) ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
    // BENCH_ROUTER_NODE_FLAGS: extra Node flags for the router process only (e.g. heap sizing).
    if (entry.startsWith('router/') && process.env.BENCH_ROUTER_NODE_FLAGS) prof.push(...process.env.BENCH_ROUTER_NODE_FLAGS.split(/\s+/).filter(Boolean));
    // BENCH_LOGS=1: the services' logs (stdout, LOG_LEVEL warn) show in the bench's output.
    procs.push(spawn(process.execPath, [...prof, join(repoRoot, entry)], { env: { ...common, ...env }, stdio: ['ignore', process.env.BENCH_LOGS ? 'inherit' : 'ignore', 'inherit'] }));
  };
  const stop = async () => {
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)))));
    await db.drop();
    await redis.cleanup();
    dataDir.remove();
  };
  try {
    const jwtKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    // Every process knows every address up front, so they start together.
    for (const name of names) run(`subgraphs/${name}/src/index.ts`, { PORT: String(ports[name]), JWT_PRIVATE_KEY: jwtKey });
    run('workers/src/index.ts', { WORKERS_PORT: String(ports.workers) });
    await Promise.all([...names.map((name) => waitReady(`http://127.0.0.1:${ports[name]}/ready`)), waitReady(`http://127.0.0.1:${ports.workers}/ready`)]);
    run('router/src/index.ts', { PORT: String(ports.router), METRICS_PORT: String(ports.routerMetrics) });
    await waitReady(`http://127.0.0.1:${ports.router}/ready`);
  } catch (err) {
    await stop();
    throw err;
  }
  const startRouter = async (env: Record<string, string>) => {
    const [port, metricsPort] = [await freePort(), await freePort()];
    run('router/src/index.ts', { ...env, PORT: String(port), METRICS_PORT: String(metricsPort) });
    await waitReady(`http://127.0.0.1:${port}/ready`);
    return { url: `http://127.0.0.1:${port}/graphql`, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics` };
  };
  return { databaseUrl: db.url, secret, ports, routerUrl: `http://127.0.0.1:${ports.router}/graphql`, startRouter, stop };
}

/** A GraphQL multipart upload of a book file through the router. */
export async function uploadBook(routerUrl: string, token: string, bookId: string, bytes: Buffer, filename: string): Promise<{ data?: { uploadBookFile: { status: string } }; errors?: unknown[] }> {
  const form = new FormData();
  form.append('operations', JSON.stringify({ query: 'mutation($b: ID!, $f: Upload!) { uploadBookFile(bookId: $b, file: $f) { status } }', variables: { b: bookId, f: null } }));
  form.append('map', JSON.stringify({ 0: ['variables.f'] }));
  form.append('0', new Blob([bytes], { type: 'application/pdf' }), filename);
  const res = await fetch(routerUrl, { method: 'POST', body: form, headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' } });
  return (await res.json()) as { data?: { uploadBookFile: { status: string } }; errors?: unknown[] };
}

/** Polls until the book's ingestion is READY or FAILED. */
export async function waitIngested(routerUrl: string, token: string, courseId: string, bookId: string, timeoutMs = 300_000): Promise<{ status: string; pageCount: number; chunkCount: number; error: string | null }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(routerUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: 'query($c: ID!) { course(id: $c) { books { id ingestion { status pageCount chunkCount error } } } }', variables: { c: courseId } }),
    });
    const body = (await res.json()) as { data: { course: { books: { id: string; ingestion: { status: string; pageCount: number; chunkCount: number; error: string | null } | null }[] } } };
    const ing = body.data.course.books.find((b) => b.id === bookId)?.ingestion;
    if (ing && (ing.status === 'READY' || ing.status === 'FAILED')) return ing;
    if (Date.now() > deadline) throw new Error(`ingestion not finished: ${JSON.stringify(ing)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const BENCH_ADMIN = { email: 'registrar@uni.test', password: 'keys to the registry 42' };

/** The stack with an admin account, signed in; `run` sends an operation as the admin and throws on errors. */
export async function startBenchStackAsAdmin(extraEnv: Record<string, string> = {}) {
  const stack = await startBenchStack({ ADMIN_EMAIL: BENCH_ADMIN.email, ADMIN_PASSWORD: BENCH_ADMIN.password, ...extraEnv });
  try {
    const login = await gql(stack.routerUrl, 'mutation($i: LoginInput!) { login(input: $i) { accessToken } }', { i: BENCH_ADMIN });
    const token = (login.data!.login as { accessToken: string }).accessToken;
    const run = async <T = any>(q: string, v: Record<string, unknown> = {}): Promise<T> => { // eslint-disable-line @typescript-eslint/no-explicit-any
      const r = await gql(stack.routerUrl, q, v, { token });
      if (r.errors) throw new Error(JSON.stringify(r.errors));
      return r.data as T;
    };
    return { stack, token, run };
  } catch (err) {
    await stack.stop();
    throw err;
  }
}

export type TextbookKey = 'intro-python-programming' | 'biology-2e-excerpt';

/**
 * The evaluation set-up: a course per textbook (CS101 in Engineering, BIO101 in Science), each with
 * its book uploaded through the router and READY.
 */
export async function textbookCourses(admin: Awaited<ReturnType<typeof startBenchStackAsAdmin>>): Promise<Record<TextbookKey, { courseId: string; bookId: string }>> {
  const { stack, token, run } = admin;
  await run(`mutation($d: String!) { importAcademicData(format: CSV, document: $d) { applied } }`, {
    d: 'faculty,department,semester,course_code,course_title\nEngineering,Computer Science,Fall 2026,CS101,Introduction to Python\nScience,Biology,Fall 2026,BIO101,Biology I',
  });
  const tree = await run(`{ faculties { departments { semesters { courses { id code } } } } }`);
  const courses = new Map<string, string>();
  for (const f of tree.faculties) for (const d of f.departments) for (const s of d.semesters) for (const c of s.courses) courses.set(c.code, c.id);
  const out = {} as Record<TextbookKey, { courseId: string; bookId: string }>;
  for (const [key, code] of [['intro-python-programming', 'CS101'], ['biology-2e-excerpt', 'BIO101']] as const) {
    const courseId = courses.get(code)!;
    const bookId = (await run(`mutation($c: ID!, $t: String!) { createBook(courseId: $c, title: $t, authors: ["OpenStax"]) { id } }`, { c: courseId, t: key })).createBook.id as string;
    const started = performance.now();
    const up = await uploadBook(stack.routerUrl, token, bookId, readFileSync(join(repoRoot, '..', 'shared', 'data', 'textbooks', `${key}.pdf`)), `${key}.pdf`);
    if (up.errors) throw new Error(JSON.stringify(up.errors));
    const done = await waitIngested(stack.routerUrl, token, courseId, bookId);
    if (done.status !== 'READY') throw new Error(`${key}: ingestion ${done.status}: ${done.error}`);
    console.log(`ingested ${key}: ${done.pageCount} pages, ${done.chunkCount} passages in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    out[key] = { courseId, bookId };
  }
  return out;
}

/** The p-th percentile of an ascending list (nearest rank); NaN when empty. */
export const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN);

/** `fn` over every element with at most `limit` calls in flight; the results in input order. */
export async function pool<T, R>(xs: T[], limit: number, fn: (x: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(xs.length);
  let next = 0;
  const lane = async () => {
    while (next < xs.length) {
      const i = next++;
      out[i] = await fn(xs[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, xs.length) }, lane));
  return out;
}
