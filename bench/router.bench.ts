// `npm run bench:router`: throughput and latency of `{ me { id email } }` through the router and
// sent straight to the auth subgraph (with a router-signed identity), and the router's overhead.
// Auth and the router run as separate processes, as deployed; load comes from this process.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { IdentitySigner, repoRoot } from '@ai-teacher/shared';
import { createTestDatabase, createTestRedis, gql, tempDir } from '@ai-teacher/shared/testing';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const QUERY = JSON.stringify({ query: '{ me { id email } }' });

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function waitReady(url: string): Promise<void> {
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

function run(entry: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [join(repoRoot, entry)], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
}

async function load(title: string, url: string, headers: Record<string, string>) {
  const opts = { url, method: 'POST' as const, body: QUERY, headers: { 'content-type': 'application/json', ...headers }, connections: CONNECTIONS };
  await autocannon({ ...opts, duration: 2 }); // warm-up: JIT, connection pools, caches
  const r = await autocannon({ ...opts, duration: DURATION });
  if (r.non2xx || r.errors) throw new Error(`${title}: ${r.non2xx} non-2xx responses, ${r.errors} errors`);
  return { title, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, total: r.requests.total };
}

const db = await createTestDatabase('ait_bench');
const redis = await createTestRedis();
const dataDir = tempDir();
const secret = randomBytes(32).toString('hex');
const [authPort, routerPort] = [await freePort(), await freePort()];
const common = {
  NODE_ENV: 'production',
  LOG_LEVEL: 'warn',
  DATA_DIR: dataDir.path,
  DATABASE_URL: db.url,
  REDIS_URL: redis.url,
  REDIS_KEY_PREFIX: redis.prefix,
  IDENTITY_SECRET: secret,
};
const procs: ChildProcess[] = [];
try {
  const { generateKeyPairSync } = await import('node:crypto');
  const jwtKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  procs.push(run('subgraphs/auth/src/index.ts', { ...common, PORT: String(authPort), MIGRATE_ON_START: 'true', JWT_PRIVATE_KEY: jwtKey }));
  await waitReady(`http://127.0.0.1:${authPort}/ready`);
  procs.push(
    run('router/src/index.ts', {
      ...common,
      PORT: String(routerPort),
      SUBGRAPH_URL_AUTH: `http://127.0.0.1:${authPort}/graphql`,
      AUTH_JWKS_URL: `http://127.0.0.1:${authPort}/.well-known/jwks.json`,
    }),
  );
  await waitReady(`http://127.0.0.1:${routerPort}/ready`);

  const routerUrl = `http://127.0.0.1:${routerPort}/graphql`;
  const reg = await gql(routerUrl, 'mutation($i: RegisterInput!) { register(input: $i) { accessToken user { id } } }', {
    i: { email: 'load.tester@uni.test', password: 'measure twice, cut once', displayName: 'Bench' },
  });
  if (!reg.data) throw new Error(`register failed: ${JSON.stringify(reg.errors)}`);
  const { accessToken, user } = reg.data.register as { accessToken: string; user: { id: string } };

  const viaRouter = await load('through the router', routerUrl, { authorization: `Bearer ${accessToken}` });
  // The proof is valid for 60 s, longer than one measurement.
  const proof = await new IdentitySigner(secret).headers({ identity: { userId: user.id, role: 'STUDENT' }, requestId: 'bench', clientIp: '127.0.0.1' });
  const direct = await load('straight to auth', `http://127.0.0.1:${authPort}/graphql`, proof);

  console.log(`\n{ me { id email } } — ${CONNECTIONS} connections, ${DURATION} s each, NODE_ENV=production, ${process.version}\n`);
  console.log('path                 | req/s    | p50 ms | p99 ms | requests');
  console.log('---------------------|----------|--------|--------|---------');
  for (const r of [viaRouter, direct]) {
    console.log(`${r.title.padEnd(20)} | ${r.rps.toFixed(0).padStart(8)} | ${String(r.p50).padStart(6)} | ${String(r.p99).padStart(6)} | ${r.total}`);
  }
  console.log(`\nrouter / direct throughput: ${(viaRouter.rps / direct.rps).toFixed(2)}   p50 latency ratio: ${(viaRouter.p50 / Math.max(direct.p50, 1)).toFixed(2)}`);
} finally {
  for (const p of procs) p.kill('SIGTERM');
  await Promise.all(procs.map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)))));
  await db.drop();
  await redis.cleanup();
  dataDir.remove();
}
