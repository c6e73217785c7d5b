// docker-compose.yml as a reviewer reads it: it validates with Compose itself, every image is
// pinned, every long-running service has a health check that its dependants wait on, the
// variables it reads are exactly those .env.example documents, and the topology is the one README
// "Operations" describes (replicas, Qdrant cluster, PgBouncer ports, replica wiring, migrate).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { repoRoot } from '@ai-teacher/shared';

type Service = {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  restart?: string;
  environment?: Record<string, string | number | boolean>;
  healthcheck?: { test?: unknown; disable?: boolean };
  depends_on?: Record<string, { condition?: string }> | string[];
  deploy?: { replicas?: number };
  volumes?: (string | { source?: string; type?: string })[];
};

const composeFile = join(repoRoot, 'docker-compose.yml');
const composeText = readFileSync(composeFile, 'utf8');
const compose = parse(composeText, { merge: true }) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
const services = compose.services;
const envExampleText = readFileSync(join(repoRoot, '.env.example'), 'utf8');

/** KEY=value lines of .env.example (comments and blank lines skipped). */
const envExample = new Map(
  envExampleText
    .split('\n')
    .filter((l) => /^[A-Z][A-Z0-9_]*=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const),
);

/** Variables compose interpolates, from the file's YAML lines (comments removed; `$$` is a literal `$`). */
function composeVariables(): { all: Set<string>; required: Set<string> } {
  const all = new Set<string>();
  const required = new Set<string>();
  for (const raw of composeText.split('\n')) {
    const line = raw.replace(/^\s*#.*$/, '').replace(/\s#\s.*$/, '').replace(/\$\$/g, '');
    for (const m of line.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-?])?/g)) {
      all.add(m[1]!);
      if (m[2]?.endsWith('?')) required.add(m[1]!);
    }
  }
  return { all, required };
}

/** A value as compose would render it with no variables set beyond their defaults. */
function withDefaults(value: string): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*)|:?\?[^}]*)?\}/g, (_m, name: string, def?: string) => def ?? `<${name}>`);
}

const APP_IMAGE = /^\$\{AI_TEACHER_IMAGE/;
const isApp = (s: Service) => Boolean(s.image && APP_IMAGE.test(s.image)) && !String(s.command).includes('migrate');
const appServices = Object.entries(services).filter(([, s]) => isApp(s));
const isOneShot = (s: Service) => s.restart === 'no';
const env = (name: string) => services[name]?.environment ?? {};

/** Long-running services that cannot carry a Docker health check, and why. */
const NO_HEALTHCHECK: Record<string, string> = {
  'otel-collector': 'the image is FROM scratch: no shell or HTTP client inside to probe with; nothing waits on it',
};

describe('docker-compose.yml: images and health', () => {
  it('pins every image to an explicit tag (no :latest, no untagged image)', () => {
    for (const [name, s] of Object.entries(services)) {
      expect(s.image).toBeDefined();
      const image = withDefaults(s.image!);
      const ref = image.split('@')[0]!;
      const tag = ref.lastIndexOf(':') > ref.lastIndexOf('/') ? ref.slice(ref.lastIndexOf(':') + 1) : '';
      expect({ name, tag: tag || '(none)' }).not.toEqual({ name, tag: '(none)' });
      expect({ name, tag }).not.toEqual({ name, tag: 'latest' });
      // Third-party images carry a version, not a floating major.
      if (!APP_IMAGE.test(s.image!)) expect({ name, tag }).toEqual({ name, tag: expect.stringMatching(/\d+\.\d+/) });
    }
  });

  it('gives every long-running service a restart policy and a health check', () => {
    for (const [name, s] of Object.entries(services)) {
      if (isOneShot(s)) continue;
      expect({ name, restart: s.restart }).toEqual({ name, restart: expect.stringMatching(/^(unless-stopped|always|on-failure)/) });
      if (name in NO_HEALTHCHECK) continue;
      expect({ name, healthcheck: Boolean(s.healthcheck?.test) && !s.healthcheck?.disable }).toEqual({ name, healthcheck: true });
    }
  });

  it('makes every dependency a condition: healthy for services, completed for one-shots', () => {
    for (const [name, s] of Object.entries(services)) {
      const deps = s.depends_on ?? {};
      expect({ name, listForm: Array.isArray(deps) }).toEqual({ name, listForm: false });
      for (const [dep, { condition }] of Object.entries(deps as Record<string, { condition?: string }>)) {
        const target = services[dep];
        expect({ name, dep, exists: Boolean(target) }).toEqual({ name, dep, exists: true });
        const expected = isOneShot(target!) ? 'service_completed_successfully' : dep in NO_HEALTHCHECK ? 'service_started' : 'service_healthy';
        expect({ name, dep, condition }).toEqual({ name, dep, condition: expected });
      }
    }
  });

  it('starts every app only after the migrate one-shot and the data services are ready', () => {
    expect(appServices.map(([n]) => n).sort()).toEqual(['academic', 'auth', 'exam', 'notification', 'retrieval', 'router', 'tutor', 'workers']);
    for (const [name, s] of appServices) {
      const deps = s.depends_on as Record<string, { condition?: string }>;
      expect({ name, redis: deps.redis?.condition }).toEqual({ name, redis: 'service_healthy' });
      if (name === 'router') continue; // no database: it reaches the others through the subgraphs
      expect({ name, migrate: deps.migrate?.condition }).toEqual({ name, migrate: 'service_completed_successfully' });
      expect({ name, pgbouncer: deps.pgbouncer?.condition, read: deps['pgbouncer-read']?.condition }).toEqual({ name, pgbouncer: 'service_healthy', read: 'service_healthy' });
    }
  });

  it('mounts only host paths that exist in the repository (or come from a variable)', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const v of s.volumes ?? []) {
        const source = typeof v === 'string' ? v.split(':')[0]! : (v.source ?? '');
        if (!source.startsWith('.') && !isAbsolute(source)) continue; // a named volume or ${VAR}
        expect({ name, source, exists: existsSync(join(repoRoot, source)) }).toEqual({ name, source, exists: true });
      }
    }
  });
});

describe('docker-compose.yml: variables and secrets', () => {
  const { all, required } = composeVariables();

  it('documents every variable it reads in .env.example, and .env.example holds no unused one', () => {
    expect([...all].filter((v) => !envExample.has(v)).sort()).toEqual([]);
    expect([...envExample.keys()].filter((v) => !all.has(v)).sort()).toEqual([]);
  });

  it('requires every secret and ships none: required variables are empty in .env.example', () => {
    for (const secret of ['IDENTITY_SECRET', 'SERVICE_SECRET', 'JWT_PRIVATE_KEY', 'POSTGRES_PASSWORD', 'POSTGRES_REPLICATION_PASSWORD', 'REDIS_PASSWORD', 'QDRANT_API_KEY', 'ADMIN_EMAIL', 'ADMIN_PASSWORD', 'GRAFANA_ADMIN_PASSWORD']) {
      expect({ secret, required: required.has(secret) }).toEqual({ secret, required: true });
    }
    for (const v of required) expect({ v, value: envExample.get(v) }).toEqual({ v, value: '' });
    // No variable is required in one place and defaulted in another (the default would be dead).
    for (const v of required) expect({ v, defaulted: new RegExp(`\\$\\{${v}:?-`).test(composeText) }).toEqual({ v, defaulted: false });
  });

  it('keeps the identity key and the service key apart, and gives each process only its own', () => {
    expect(composeText).toMatch(/IDENTITY_SECRET: \$\{IDENTITY_SECRET:\?/);
    expect(composeText).toMatch(/SERVICE_SECRET: \$\{SERVICE_SECRET:\?/);
    expect(env('router').IDENTITY_SECRET).toBeDefined();
    expect(env('router').SERVICE_SECRET).toBeUndefined();
    expect(env('workers').SERVICE_SECRET).toBeDefined();
    expect(env('workers').IDENTITY_SECRET).toBeUndefined();
    for (const sg of ['auth', 'academic', 'retrieval', 'tutor', 'exam', 'notification']) {
      expect({ sg, identity: Boolean(env(sg).IDENTITY_SECRET), service: Boolean(env(sg).SERVICE_SECRET) }).toEqual({ sg, identity: true, service: true });
    }
    expect(env('auth').JWT_PRIVATE_KEY).toMatch(/^\$\{JWT_PRIVATE_KEY:\?/);
    // Only auth holds the signing key and the first admin's password.
    for (const [name] of appServices.filter(([n]) => n !== 'auth')) {
      expect({ name, jwt: env(name).JWT_PRIVATE_KEY, admin: env(name).ADMIN_PASSWORD }).toEqual({ name, jwt: undefined, admin: undefined });
    }
  });

  it('creates the first admin from ADMIN_EMAIL / ADMIN_PASSWORD', () => {
    expect(env('auth').ADMIN_EMAIL).toMatch(/^\$\{ADMIN_EMAIL:\?/);
    expect(env('auth').ADMIN_PASSWORD).toMatch(/^\$\{ADMIN_PASSWORD:\?/);
  });

  it('points the apps at the mail catcher and the OpenTelemetry collector', () => {
    expect(withDefaults(String(env('notification').SMTP_URL))).toBe('smtp://mailpit:1025');
    expect(withDefaults(String(env('workers').SMTP_URL))).toBe('smtp://mailpit:1025');
    for (const [name] of appServices) expect({ name, otlp: env(name).OTEL_EXPORTER_OTLP_ENDPOINT }).toEqual({ name, otlp: 'http://otel-collector:4318' });
    expect(services['otel-collector']!.volumes).toContain('./ops/otel-collector.yaml:/etc/otelcol-contrib/config.yaml:ro');
  });
});

describe('docker-compose.yml: topology', () => {
  it('runs two routers, two tutors, two retrievals and two workers', () => {
    for (const name of ['router', 'tutor', 'retrieval', 'workers']) expect({ name, replicas: services[name]?.deploy?.replicas }).toEqual({ name, replicas: 2 });
  });

  it('runs Qdrant as a three-node cluster bootstrapped from one node, the collection at 4 shards × 2 replicas', () => {
    const nodes = Object.entries(services).filter(([, s]) => s.image?.startsWith('qdrant/qdrant:'));
    expect(nodes).toHaveLength(3);
    const commands = nodes.map(([, s]) => (s.command as string[]).join(' '));
    const seeds = commands.filter((c) => !c.includes('--bootstrap'));
    expect(seeds).toHaveLength(1);
    const seedUri = /--uri (\S+)/.exec(seeds[0]!)![1];
    for (const [name, s] of nodes) {
      expect({ name, cluster: s.environment?.QDRANT__CLUSTER__ENABLED }).toEqual({ name, cluster: 'true' });
      const cmd = (s.command as string[]).join(' ');
      expect(cmd).toMatch(new RegExp(`--uri http://${name}:6335`));
      if (cmd.includes('--bootstrap')) expect(cmd).toContain(`--bootstrap ${seedUri}`);
    }
    for (const name of ['retrieval', 'workers']) {
      expect({ name, store: env(name).VECTOR_STORE, shards: Number(env(name).QDRANT_SHARDS), replication: Number(env(name).QDRANT_REPLICATION) }).toEqual({ name, store: 'qdrant', shards: 4, replication: 2 });
    }
  });

  it('has PgBouncer listen on the port the apps connect to, in transaction mode', () => {
    for (const [pool, urlVar] of [['pgbouncer', 'DATABASE_URL'], ['pgbouncer-read', 'READ_DATABASE_URL']] as const) {
      const bouncer = env(pool);
      expect({ pool, mode: bouncer.POOL_MODE }).toEqual({ pool, mode: 'transaction' });
      const listen = String(bouncer.LISTEN_PORT ?? 5432); // the image's default
      for (const [name] of appServices.filter(([n]) => n !== 'router')) {
        const url = new URL(withDefaults(String(env(name)[urlVar])));
        expect({ name, urlVar, host: url.hostname, port: url.port }).toEqual({ name, urlVar, host: pool, port: listen });
      }
    }
  });

  it('sends reads to a streaming replica of the primary through the read pool', () => {
    const upstream = (pool: string) => new URL(withDefaults(String(env(pool).DATABASE_URL))).hostname;
    expect(upstream('pgbouncer')).toBe('postgres');
    expect(upstream('pgbouncer-read')).toBe('postgres-replica');
    const replica = services['postgres-replica']!;
    expect(replica.image).toBe(services.postgres!.image);
    expect(replica.environment?.POSTGRES_PRIMARY_HOST).toBe('postgres');
    expect((replica.depends_on as Record<string, { condition?: string }>).postgres?.condition).toBe('service_healthy');
    // The replica clones the primary with pg_basebackup and streams through a slot the primary creates.
    const entry = readFileSync(join(repoRoot, 'ops/postgres/replica-entrypoint.sh'), 'utf8');
    expect(entry).toMatch(/pg_basebackup[\s\S]*--write-recovery-conf[\s\S]*--slot/);
    expect(readFileSync(join(repoRoot, 'ops/postgres/primary-init.sh'), 'utf8')).toMatch(/REPLICATION LOGIN[\s\S]*pg_create_physical_replication_slot/);
    expect(replica.environment?.POSTGRES_REPLICATION_SLOT).toBe(services.postgres!.environment?.POSTGRES_REPLICATION_SLOT);
  });

  it('runs migrations once, straight against Postgres (not PgBouncer), before the apps', () => {
    const migrate = services.migrate!;
    expect(migrate.restart).toBe('no');
    expect(migrate.command).toEqual(['node', 'scripts/migrate.ts']);
    const url = new URL(withDefaults(String(migrate.environment?.DATABASE_URL)));
    expect(url.hostname).toBe('postgres');
    expect(url.port).toBe('5432');
    expect(services[url.hostname]!.image).toMatch(/^postgres:/);
    expect((migrate.depends_on as Record<string, { condition?: string }>).postgres?.condition).toBe('service_healthy');
  });

  it('keeps Redis from evicting queue keys, with maxmemory below the container limit', () => {
    const conf = readFileSync(join(repoRoot, 'ops/redis/redis.conf'), 'utf8');
    expect(conf).toMatch(/^maxmemory-policy noeviction$/m);
    expect(conf).toMatch(/^appendonly yes$/m);
    const cmd = (services.redis!.command as string[]).map(withDefaults);
    const maxmemory = cmd[cmd.indexOf('--maxmemory') + 1]!;
    const bytes = (v: string) => Number(/^(\d+)/.exec(v)![1]) * ({ k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[/([kmg])b?$/i.exec(v)?.[1]?.toLowerCase() as 'k' | 'm' | 'g'] ?? 1);
    const limit = withDefaults(String((services.redis as { deploy?: { resources?: { limits?: { memory?: string } } } }).deploy?.resources?.limits?.memory));
    expect(bytes(maxmemory)).toBeLessThanOrEqual(0.8 * bytes(limit));
  });

  it('shares the blob volume between retrieval and the workers at BLOB_DIR', () => {
    for (const name of ['retrieval', 'workers']) {
      expect(services[name]!.volumes).toContain(`blobs:${env(name).BLOB_DIR}`);
    }
  });
});

// --- Compose's own validation ----------------------------------------------------------------------
/** `docker-compose` (v1, Debian) or `docker compose` (v2 plugin), whichever is installed. */
function findCompose(): string[] | undefined {
  for (const cmd of [['docker-compose'], ['docker', 'compose']]) {
    const r = spawnSync(cmd[0]!, [...cmd.slice(1), 'version'], { encoding: 'utf8' });
    if (r.status === 0) return cmd;
  }
  return undefined;
}

const composeCmd = findCompose();
if (!composeCmd && process.env.CI) throw new Error('CI needs docker-compose (or the docker compose plugin) to validate docker-compose.yml');
if (!composeCmd) console.warn('test/deploy: docker-compose is not installed: skipping `docker-compose config` (apt-get install docker-compose)');
const withCompose = composeCmd ? describe : describe.skip;

withCompose('docker-compose config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ait-compose-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function config(envFile: string) {
    const file = join(dir, 'env');
    writeFileSync(file, envFile);
    // A clean environment: the host's variables would override the env file.
    return spawnSync(composeCmd![0]!, [...composeCmd!.slice(1), '-f', composeFile, '--project-directory', repoRoot, '--env-file', file, 'config'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: dir },
    });
  }

  it('accepts the file with every required value filled in', () => {
    const { required } = composeVariables();
    const lines = [...envExample].map(([k, v]) => {
      if (!required.has(k)) return `${k}=${v}`;
      if (k === 'ADMIN_EMAIL') return `${k}=admin@example.edu`;
      return `${k}=placeholder-${k.toLowerCase().replace(/_/g, '-')}-00000000000000000000000000000000`;
    });
    const r = config(lines.join('\n') + '\n');
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: expect.any(String) });
    const rendered = parse(r.stdout) as { services: Record<string, Service> };
    expect(Object.keys(rendered.services).sort()).toEqual(Object.keys(services).sort());
    expect(rendered.services.pgbouncer!.environment!.LISTEN_PORT).toEqual(expect.anything());
  });

  it('refuses to render while the secrets of .env.example are still empty', () => {
    const r = config(envExampleText);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/set [A-Z_]+/);
  });
});
