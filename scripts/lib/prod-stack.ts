// The production topology on one machine, without containers (`npm run stack:prod`, and the
// prod-topology e2e suite): real nginx at the edge rendered from nginx/*.template (plain HTTP and
// TLS with a certificate made for the run), two routers, two replicas of every subgraph and of the
// workers (NODE_ENV=production, each its own process), PgBouncer in transaction mode in front of a
// throw-away Postgres primary, and a streaming replica of it made with `pg_basebackup -R`.
//
// Subgraph replicas are reached through a second, internal nginx: it stands in for what Docker's
// service DNS or a Kubernetes Service does in a real deployment, and is generated here, not from
// nginx/ (it is not part of the edge). The processes are laid out in two zones: router i, replica i
// of each subgraph and workers i call other services through zone i's balancer ports, which prefer
// zone i's replica and fail over to the other zone's (`backup`) when it does not answer. So which
// replica serves what is known (tests kill a chosen one), and losing a replica costs nothing but
// the failover.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, closeSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { readSupergraphConfig, repoRoot } from '@ai-teacher/shared';
import { createTestRedis, freePort, subgraphAddresses } from '@ai-teacher/shared/testing';
import pg from 'pg';
import { migrateAll } from './database.ts';

export const PROD_ADMIN = { email: 'registrar@uni.test', password: 'keys to the registry 42' };

/** The variables nginx/*.template may use; anything else that looks like `${…}` is left alone, as the nginx image's envsubst does. */
export const EDGE_TEMPLATE_VARIABLES = ['EDGE_HTTP_LISTEN', 'EDGE_HTTPS_LISTEN', 'EDGE_CSP', 'EDGE_RESOLVER', 'ROUTER_SERVERS', 'NOTIFICATION_SERVERS'] as const;
export type EdgeValues = Record<(typeof EDGE_TEMPLATE_VARIABLES)[number], string>;

/** Writes nginx/ into `dir`: every *.template rendered (envsubst over `values`), every other file copied. */
export function renderEdgeConfig(dir: string, values: EdgeValues): void {
  const source = join(repoRoot, 'nginx');
  const walk = (rel: string) => {
    for (const entry of readdirSync(join(source, rel))) {
      const from = join(source, rel, entry);
      const relPath = join(rel, entry);
      if (statSync(from).isDirectory()) {
        walk(relPath);
        continue;
      }
      let text = readFileSync(from, 'utf8');
      let target = join(dir, relPath);
      if (entry.endsWith('.template')) {
        target = target.slice(0, -'.template'.length);
        text = text.replace(/\$\{([A-Z_]+)\}/g, (whole, name: string) => (name in values ? values[name as keyof EdgeValues] : whole));
      }
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, text);
    }
  };
  walk('');
}

export interface Proc {
  name: string;
  port: number;
  url: string;
  proc: ChildProcess;
}

export interface ProdStackOptions {
  /** OpenAI-compatible endpoint for the tutor (the tests' LLM stub). */
  llmBaseUrl?: string;
  /** CSP mode of the edge (snippets/csp-*.conf). */
  csp?: 'production' | 'development';
  log?: (line: string) => void;
  extraEnv?: Record<string, string>;
}

export interface ProdStack {
  dir: string;
  /** The edge: plain HTTP and TLS (self-signed for localhost/127.0.0.1; `caPem` is the certificate). */
  httpUrl: string;
  httpsUrl: string;
  caPem: string;
  primaryUrl: string;
  replicaUrl: string;
  pgbouncerUrl: string;
  redis: { url: string; prefix: string };
  routers: Proc[];
  /** Every subgraph's replicas by name (two each; index = zone) and the internal balancer's port per subgraph and zone. */
  subgraphs: Record<string, Proc[]>;
  balancerPorts: Record<string, number[]>;
  workers: Proc[];
  /** Timings of the start, in ms. */
  startup: Record<string, number>;
  /** One more router process (same settings, in zone `zone`), ready. */
  startRouter(zone?: number): Promise<Proc>;
  /** Rewrites the edge's router list to `routers` and reloads nginx (no restart, no dropped requests). */
  setEdgeRouters(routers: Proc[]): Promise<void>;
  /** The edge's access log lines, parsed. */
  accessLog(): { uri: string; status: number; upstream: string }[];
  kill(p: Proc, signal?: NodeJS.Signals): Promise<void>;
  stop(): Promise<void>;
}

const PG_BIN = (() => {
  try {
    const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
    return join('/usr/lib/postgresql', versions[0]!, 'bin');
  } catch {
    return '';
  }
})();

const asRoot = process.getuid?.() === 0;
const pgUser = () => {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('no `postgres` user: install PostgreSQL from your distribution');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
};

/** Runs a Postgres/PgBouncer binary; as root, as the `postgres` user (both refuse to run as root). */
function runAsPostgres(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], ...(asRoot ? pgUser() : {}) });
}

async function waitReady(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok) return;
    } catch {
      // starting
    }
    if (Date.now() > deadline) throw new Error(`not ready: ${url}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function waitSql(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
    try {
      await c.connect();
      await c.query('select 1');
      await c.end();
      return;
    } catch (err) {
      await c.end().catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`Postgres does not answer at ${url}: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

function which(bin: string, fallbacks: string[]): string {
  for (const p of [...fallbacks]) {
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      // next
    }
  }
  throw new Error(`${bin} is not installed (Debian/Ubuntu: apt-get install ${bin})`);
}

export async function startProdStack(opts: ProdStackOptions = {}): Promise<ProdStack> {
  const log = opts.log ?? (() => undefined);
  const nginxBin = which('nginx', ['/usr/sbin/nginx', '/usr/bin/nginx', '/usr/local/sbin/nginx']);
  const pgbouncerBin = which('pgbouncer', ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer']);
  if (!PG_BIN) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)');

  const t0 = performance.now();
  const startup: Record<string, number> = {};
  const mark = (what: string) => (startup[what] = Math.round(performance.now() - t0));
  const dir = join(tmpdir(), `ait-prod-${randomBytes(4).toString('hex')}`);
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  const procs: Proc[] = [];
  const cleanups: (() => Promise<void> | void)[] = [() => rmSync(dir, { recursive: true, force: true })];
  let stopped = false;

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    // Apps first (they drain), then the edge, then the databases.
    await Promise.all(procs.filter((p) => p.name !== 'edge' && p.name !== 'balancer' && p.name !== 'pgbouncer').map((p) => killProc(p, 'SIGTERM')));
    await Promise.all(procs.filter((p) => p.name === 'edge' || p.name === 'balancer' || p.name === 'pgbouncer').map((p) => killProc(p, 'SIGTERM')));
    for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch((err: Error) => log(`cleanup: ${err.message}`));
  };
  const killProc = (p: Proc, signal: NodeJS.Signals = 'SIGTERM') =>
    new Promise<void>((resolve) => {
      if (p.proc.exitCode !== null || p.proc.signalCode !== null) return resolve();
      const timer = setTimeout(() => p.proc.kill('SIGKILL'), 15_000);
      p.proc.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      p.proc.kill(signal);
    });

  try {
    // --- Postgres: a primary of our own and its streaming replica ---------------------------------
    const [pgPort, replicaPort, bouncerPort] = [await freePort(), await freePort(), await freePort()];
    const primaryDir = join(dir, 'pg-primary');
    const replicaDir = join(dir, 'pg-replica');
    const pgOwned = (path: string) => {
      mkdirSync(path, { recursive: true, mode: 0o700 });
      if (asRoot) chownSync(path, pgUser().uid, pgUser().gid);
    };
    pgOwned(primaryDir);
    const pgRun = join(dir, 'pg-run'); // sockets and logs, written by the postgres user
    pgOwned(pgRun);
    runAsPostgres(join(PG_BIN, 'initdb'), ['-D', primaryDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
    writeFileSync(
      join(primaryDir, 'postgresql.auto.conf'),
      [
        `listen_addresses = '127.0.0.1'`,
        `unix_socket_directories = '${pgRun}'`,
        `shared_preload_libraries = 'pg_stat_statements'`,
        'pg_stat_statements.track = all',
        'wal_level = replica',
        'max_wal_senders = 4',
        'max_connections = 200',
        'hot_standby = on',
        'fsync = off', // a throw-away cluster: speed over durability
        '',
      ].join('\n'),
    );
    const pgctl = (data: string, port: number, logFile: string) => runAsPostgres(join(PG_BIN, 'pg_ctl'), ['-D', data, '-o', `-p ${port}`, '-l', logFile, '-w', '-t', '60', 'start']);
    pgctl(primaryDir, pgPort, join(pgRun, 'primary.log'));
    cleanups.push(() => runAsPostgres(join(PG_BIN, 'pg_ctl'), ['-D', primaryDir, '-m', 'fast', '-w', 'stop']));
    const primaryUrl = `postgres://postgres@127.0.0.1:${pgPort}/ai_teacher`;
    const admin = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${pgPort}/postgres` });
    await admin.connect();
    await admin.query('create database ai_teacher');
    await admin.end();
    const setup = new pg.Client({ connectionString: primaryUrl });
    await setup.connect();
    await setup.query('create extension if not exists pg_stat_statements');
    await setup.end();
    mark('primary');
    await migrateAll({ DATABASE_URL: primaryUrl }, (line) => log(`migrate ${line}`));
    mark('migrations');

    pgOwned(replicaDir);
    runAsPostgres(join(PG_BIN, 'pg_basebackup'), ['-h', '127.0.0.1', '-p', String(pgPort), '-U', 'postgres', '-D', replicaDir, '-R', '-X', 'stream', '-c', 'fast', '--no-sync']);
    pgctl(replicaDir, replicaPort, join(pgRun, 'replica.log'));
    cleanups.push(() => runAsPostgres(join(PG_BIN, 'pg_ctl'), ['-D', replicaDir, '-m', 'fast', '-w', 'stop']));
    const replicaUrl = `postgres://postgres@127.0.0.1:${replicaPort}/ai_teacher`;
    await waitSql(replicaUrl);
    mark('replica');

    // --- PgBouncer (transaction pooling) in front of the primary ------------------------------------
    const bouncerDir = join(dir, 'pgbouncer');
    pgOwned(bouncerDir);
    writeFileSync(join(bouncerDir, 'userlist.txt'), '"postgres" ""\n');
    writeFileSync(
      join(bouncerDir, 'pgbouncer.ini'),
      [
        '[databases]',
        `* = host=127.0.0.1 port=${pgPort}`,
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${bouncerPort}`,
        'unix_socket_dir =',
        'auth_type = trust',
        `auth_file = ${join(bouncerDir, 'userlist.txt')}`,
        'pool_mode = transaction',
        'max_client_conn = 2000',
        'default_pool_size = 40',
        'ignore_startup_parameters = extra_float_digits,options',
        `logfile = ${join(bouncerDir, 'pgbouncer.log')}`,
        '',
      ].join('\n'),
    );
    if (asRoot) for (const f of ['userlist.txt', 'pgbouncer.ini']) chownSync(join(bouncerDir, f), pgUser().uid, pgUser().gid);
    procs.push({ name: 'pgbouncer', port: bouncerPort, url: '', proc: spawn(pgbouncerBin, [join(bouncerDir, 'pgbouncer.ini')], { stdio: 'ignore', ...(asRoot ? pgUser() : {}) }) });
    const pgbouncerUrl = `postgres://postgres@127.0.0.1:${bouncerPort}/ai_teacher`;
    await waitSql(pgbouncerUrl);
    mark('pgbouncer');

    // --- the applications --------------------------------------------------------------------------
    const redis = await createTestRedis();
    cleanups.push(() => redis.cleanup());
    const names = readSupergraphConfig().map((sg) => sg.name);
    const ZONES = [0, 1];
    const balancerPorts: Record<string, number[]> = {};
    for (const name of names) balancerPorts[name] = [await freePort(), await freePort()];
    const zoneAddresses = (zone: number) => subgraphAddresses(Object.fromEntries(names.map((n) => [n, balancerPorts[n]![zone]!])));
    const blobs = join(dir, 'data');
    mkdirSync(blobs);
    const common: Record<string, string> = {
      ...(process.env as Record<string, string>),
      NODE_ENV: 'production',
      LOG_LEVEL: process.env.STACK_LOG_LEVEL ?? 'warn',
      HOST: '127.0.0.1',
      DATA_DIR: blobs,
      DATABASE_URL: pgbouncerUrl,
      READ_DATABASE_URL: replicaUrl,
      DB_POOL_MAX: '5',
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: redis.prefix,
      IDENTITY_SECRET: randomBytes(32).toString('hex'),
      SERVICE_SECRET: randomBytes(32).toString('hex'),
      MIGRATE_ON_START: 'false', // applied above, on the primary directly (not through PgBouncer)
      ADMIN_EMAIL: PROD_ADMIN.email,
      ADMIN_PASSWORD: PROD_ADMIN.password,
      ...(opts.llmBaseUrl ? { LLM_BASE_URL: opts.llmBaseUrl, LLM_API_KEY: 'stub' } : {}),
      ...opts.extraEnv,
    };
    const jwtKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const logFd = openSync(join(dir, 'apps.log'), 'a');
    cleanups.push(() => closeSync(logFd));
    const launch = (name: string, entry: string, port: number, env: Record<string, string>): Proc => {
      const proc = spawn(process.execPath, [join(repoRoot, entry)], { env: { ...common, ...env }, stdio: ['ignore', logFd, logFd] });
      const p = { name, port, url: `http://127.0.0.1:${port}`, proc };
      procs.push(p);
      return p;
    };
    const subgraphs: Record<string, Proc[]> = {};
    for (const name of names) {
      subgraphs[name] = [];
      for (const zone of ZONES) {
        const port = await freePort();
        subgraphs[name].push(launch(`${name}-${zone}`, `subgraphs/${name}/src/index.ts`, port, { ...zoneAddresses(zone), PORT: String(port), JWT_PRIVATE_KEY: jwtKey }));
      }
    }
    const workers: Proc[] = [];
    for (const zone of ZONES) {
      const port = await freePort();
      workers.push(launch(`workers-${zone}`, 'workers/src/index.ts', port, { ...zoneAddresses(zone), WORKERS_PORT: String(port) }));
    }

    // The internal balancer: each subgraph's port spreads over its two replicas.
    const nginxRun = (name: string, confDir: string, port: number, stdout: number | 'ignore'): Proc => {
      const args = ['-p', confDir, '-c', join(confDir, 'nginx.conf'), '-e', join(confDir, 'error.log'), '-g', `pid ${join(confDir, 'nginx.pid')}; daemon off;`];
      execFileSync(nginxBin, [...args, '-t'], { stdio: ['ignore', 'ignore', 'pipe'] });
      const p = { name, port, url: `http://127.0.0.1:${port}`, proc: spawn(nginxBin, args, { stdio: ['ignore', stdout, 'inherit'] }) };
      procs.push(p);
      return p;
    };
    const balancerDir = join(dir, 'balancer');
    mkdirSync(balancerDir);
    writeFileSync(
      join(balancerDir, 'nginx.conf'),
      [
        'worker_processes 1;',
        'events { worker_connections 4096; }',
        'http {',
        '  access_log off;',
        "  map $http_upgrade $connection_upgrade { default upgrade; '' ''; }",
        ...names.flatMap((name) =>
          ZONES.flatMap((zone) => {
            const [own, other] = [subgraphs[name]![zone]!, subgraphs[name]![1 - zone]!];
            return [
              `  upstream ${name}_${zone} { zone ${name}_${zone} 64k; server 127.0.0.1:${own.port} max_fails=1 fail_timeout=30s; server 127.0.0.1:${other.port} backup; keepalive 16; }`,
              `  server { listen 127.0.0.1:${balancerPorts[name]![zone]}; client_max_body_size 200m; location / { proxy_pass http://${name}_${zone}; proxy_http_version 1.1; proxy_set_header Host $host;`,
              '    proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection $connection_upgrade; proxy_read_timeout 1h; proxy_buffering off; proxy_request_buffering off;',
              '    proxy_next_upstream error timeout http_502 http_503; proxy_connect_timeout 2s; } }',
            ];
          }),
        ),
        '}',
        '',
      ].join('\n'),
    );
    nginxRun('balancer', balancerDir, 0, 'ignore');
    await Promise.all([...Object.values(subgraphs).flat(), ...workers].map((p) => waitReady(`${p.url}/ready`, 90_000)));
    mark('subgraphs+workers');

    const startRouter = async (zone = 0): Promise<Proc> => {
      const [port, metricsPort] = [await freePort(), await freePort()];
      const p = launch(`router-${zone}-${port}`, 'router/src/index.ts', port, { ...zoneAddresses(zone), PORT: String(port), METRICS_PORT: String(metricsPort) });
      await waitReady(`${p.url}/ready`, 60_000);
      return p;
    };
    const routers = await Promise.all(ZONES.map((zone) => startRouter(zone)));
    mark('routers');

    // --- the edge: nginx/ rendered, with a certificate for this run ----------------------------------
    const edgeDir = join(dir, 'edge');
    const [httpPort, httpsPort] = [await freePort(), await freePort()];
    const serverLines = (ps: Proc[]) => ps.map((p) => `server 127.0.0.1:${p.port} max_fails=3 fail_timeout=10s;`).join(' ');
    const values = (rs: Proc[]): EdgeValues => ({
      EDGE_HTTP_LISTEN: `127.0.0.1:${httpPort}`,
      EDGE_HTTPS_LISTEN: `127.0.0.1:${httpsPort}`,
      EDGE_CSP: opts.csp ?? 'production',
      EDGE_RESOLVER: '127.0.0.1', // unused: every server below is an address
      ROUTER_SERVERS: serverLines(rs),
      NOTIFICATION_SERVERS: ZONES.map((zone) => `server 127.0.0.1:${balancerPorts.notification![zone]};`).join(' '),
    });
    renderEdgeConfig(edgeDir, values(routers));
    mkdirSync(join(edgeDir, 'tls'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout', join(edgeDir, 'tls', 'privkey.pem'), '-out', join(edgeDir, 'tls', 'fullchain.pem'),
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    const accessLogPath = join(edgeDir, 'access.log');
    const accessFd = openSync(accessLogPath, 'a');
    cleanups.push(() => closeSync(accessFd));
    const edge = nginxRun('edge', edgeDir, httpPort, accessFd);
    const httpUrl = `http://127.0.0.1:${httpPort}`;
    await waitReady(`${httpUrl}/health`, 20_000);
    mark('edge');
    log(`ready in ${(startup.edge! / 1000).toFixed(1)} s`);

    return {
      dir,
      httpUrl,
      httpsUrl: `https://127.0.0.1:${httpsPort}`,
      caPem: readFileSync(join(edgeDir, 'tls', 'fullchain.pem'), 'utf8'),
      primaryUrl,
      replicaUrl,
      pgbouncerUrl,
      redis: { url: redis.url, prefix: redis.prefix },
      routers,
      subgraphs,
      balancerPorts,
      workers,
      startup,
      startRouter,
      async setEdgeRouters(rs: Proc[]) {
        renderEdgeConfig(edgeDir, values(rs));
        execFileSync(nginxBin, ['-p', edgeDir, '-c', join(edgeDir, 'nginx.conf'), '-e', join(edgeDir, 'error.log'), '-g', `pid ${join(edgeDir, 'nginx.pid')};`, '-t'], { stdio: ['ignore', 'ignore', 'pipe'] });
        edge.proc.kill('SIGHUP'); // reload: new workers with the new list; old ones finish their requests
        await new Promise((r) => setTimeout(r, 500));
      },
      accessLog() {
        return readFileSync(accessLogPath, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { uri: string; status: number; upstream: string });
      },
      kill: killProc,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
