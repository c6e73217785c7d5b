// A new subgraph is one folder and one supergraph.yaml entry: `npm run new:subgraph` adds one (with
// an entity, a query, a mutation, an internal route and a queue) to a copy of this repository, and
// the copy then composes, generates, type-checks and runs it end to end through the router — its
// worker picked up from supergraph.yaml — with no edit to any other file.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startAuthSubgraph } from '@ai-teacher/auth';
import { startRouter, type RunningRouter } from '@ai-teacher/router';
import { createWorkers, type Env, InternalClient, readSupergraphConfig, repoRoot, type RunningSubgraph, type RunningWorkers } from '@ai-teacher/shared';
import { createTestDatabase, createTestRedis, gql, type TestDatabase, type TestRedis, tempDir } from '@ai-teacher/shared/testing';
import { workerDefinitions } from '@ai-teacher/workers';

const run = promisify(execFile);
const NAME = 'lab-notes';

/** Every file below `dir` (relative), with its content, skipping node_modules. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const entry of readdirSync(d)) {
      if (entry === 'node_modules') continue;
      const p = join(d, entry);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

// The copy's node_modules is a link to this repository's, so that its imports of the workspace
// packages and npm dependencies resolve as they do here.
let root: string;
let before: Map<string, string>;
let generator: { stdout: string };

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'ait-new-subgraph-'));
  symlinkSync(join(repoRoot, 'node_modules'), join(root, 'node_modules'), 'dir');
  cpSync(join(repoRoot, 'supergraph.yaml'), join(root, 'supergraph.yaml'));
  cpSync(join(repoRoot, 'router', 'supergraph.graphql'), join(root, 'router', 'supergraph.graphql'));
  cpSync(join(repoRoot, 'subgraphs'), join(root, 'subgraphs'), { recursive: true, filter: (src) => !src.includes('node_modules') });
  // A subgraph's own node_modules (a dependency version that differs from the root's) is linked too.
  for (const name of readdirSync(join(repoRoot, 'subgraphs'))) {
    const own = join(repoRoot, 'subgraphs', name, 'node_modules');
    if (existsSync(own)) symlinkSync(own, join(root, 'subgraphs', name, 'node_modules'), 'dir');
  }
  before = snapshot(root);
  generator = await run(process.execPath, [join(repoRoot, 'scripts', 'new-subgraph.ts'), NAME, '--root', root], { cwd: repoRoot });
}, 60_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('npm run new:subgraph', () => {
  it('writes one folder and one supergraph.yaml entry; the rest is regenerated output', () => {
    // The next port after the highest one supergraph.yaml already uses.
    const nextPort = Math.max(...readSupergraphConfig().map((sg) => Number(new URL(sg.routingUrl).port))) + 1;
    expect(generator.stdout).toContain(`subgraphs/lab-notes/ created (port ${nextPort})`);
    const after = snapshot(root);
    const added = [...after.keys()].filter((f) => !before.has(f));
    const changed = [...before.keys()].filter((f) => after.get(f) !== before.get(f));
    expect(added.length).toBeGreaterThan(10);
    expect(added.every((f) => f.startsWith(`subgraphs/${NAME}/`))).toBe(true);
    expect(added).toEqual(expect.arrayContaining([`subgraphs/${NAME}/schema.graphql`, `subgraphs/${NAME}/src/worker.ts`, `subgraphs/${NAME}/src/contracts.ts`, `subgraphs/${NAME}/src/generated/graphql.ts`]));
    // Hand-edited: supergraph.yaml only. Generated: the composed supergraph.
    expect(changed.sort()).toEqual(['router/supergraph.graphql', 'supergraph.yaml']);
    expect(after.get('supergraph.yaml')).toContain(`  ${NAME}:\n    routing_url: http://127.0.0.1:${nextPort}/graphql`);
    expect(after.get('router/supergraph.graphql')).toMatch(/LAB_NOTES @join__graph\(name: "lab-notes"/);
  });

  it('refuses a name that is taken or not kebab-case, and changes nothing', async () => {
    const yaml = readFileSync(join(root, 'supergraph.yaml'), 'utf8');
    const refused = await Promise.all(
      [NAME, 'auth', 'Lab_Notes', 'router'].map(
        (bad) => run(process.execPath, [join(repoRoot, 'scripts', 'new-subgraph.ts'), bad, '--root', root], { cwd: repoRoot }).catch((e: unknown) => e) as Promise<{ code: number; stderr: string }>,
      ),
    );
    expect(refused.map((r) => r.code)).toEqual([2, 2, 2, 2]);
    expect(refused.map((r) => r.stderr.trim())).toEqual([
      'new-subgraph: supergraph.yaml already lists "lab-notes"',
      'new-subgraph: supergraph.yaml already lists "auth"',
      'new-subgraph: "Lab_Notes" must be kebab-case (a-z, 0-9 and single dashes, at most 40 characters)',
      'new-subgraph: "router" is reserved',
    ]);
    expect(readFileSync(join(root, 'supergraph.yaml'), 'utf8')).toBe(yaml);
  }, 30_000);

  it('the new subgraph type-checks', async () => {
    writeFileSync(join(root, 'tsconfig.json'), JSON.stringify({ extends: join(repoRoot, 'tsconfig.json'), include: [`subgraphs/${NAME}`, join(repoRoot, 'types')], exclude: ['**/node_modules'] }));
    const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await run(process.execPath, [tsc, '-p', join(root, 'tsconfig.json'), '--noEmit'], { cwd: root }).then(
      (r) => ({ code: 0, output: r.stdout }),
      (e: { code: number; stdout: string }) => ({ code: e.code, output: e.stdout }),
    );
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  }, 120_000);

  describe('running, through the router', () => {
    let db: TestDatabase;
    let redis: TestRedis;
    let dataDir: { path: string; remove(): void };
    let auth: RunningSubgraph;
    let sub: RunningSubgraph;
    let workers: RunningWorkers;
    let router: RunningRouter;
    let serviceSecret: string;

    beforeAll(async () => {
      db = await createTestDatabase();
      redis = await createTestRedis();
      dataDir = tempDir();
      serviceSecret = randomBytes(32).toString('hex');
      const env: Env = {
        NODE_ENV: 'test',
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
        PORT: '0',
        WORKERS_PORT: '0',
        DATA_DIR: dataDir.path,
        DATABASE_URL: db.url,
        REDIS_URL: redis.url,
        REDIS_KEY_PREFIX: redis.prefix,
        IDENTITY_SECRET: randomBytes(32).toString('hex'),
        SERVICE_SECRET: serviceSecret,
        MIGRATE_ON_START: 'true',
      };
      auth = await startAuthSubgraph(env);
      const mod = (await import(pathToFileURL(join(root, 'subgraphs', NAME, 'src', 'subgraph.ts')).href)) as { startLabNotesSubgraph(env: Env): Promise<RunningSubgraph> };
      sub = await mod.startLabNotesSubgraph(env);
      // The worker process finds the new subgraph's jobs from supergraph.yaml.
      const definitions = await workerDefinitions(root);
      expect(definitions.map((d) => d.name)).toContain(NAME);
      workers = await createWorkers(definitions.filter((d) => d.name === NAME), { env });
      router = await startRouter({
        ...env,
        SUPERGRAPH_PATH: join(root, 'router', 'supergraph.graphql'),
        METRICS_PORT: '0',
        SUBGRAPH_URL_AUTH: auth.graphqlUrl,
        SUBGRAPH_URL_LAB_NOTES: sub.graphqlUrl,
        AUTH_JWKS_URL: `${auth.url}/.well-known/jwks.json`,
      });
    }, 60_000);

    afterAll(async () => {
      await router?.stop();
      await workers?.stop();
      await sub?.stop();
      await auth?.stop();
      await db?.drop();
      await redis?.cleanup();
      dataDir?.remove();
    });

    it('serves its query and mutation, and its job processes what was added', async () => {
      const register = await gql(router.graphqlUrl, `mutation($i: RegisterInput!) { register(input: $i) { accessToken } }`, {
        i: { email: `skeleton.${Date.now()}@uni.test`, password: 'a long enough passphrase', displayName: 'Skeleton' },
      });
      expect(register.errors).toBeUndefined();
      const token = register.data?.register.accessToken as string;
      expect(token).toBeTruthy();

      const anonymous = await gql(router.graphqlUrl, `mutation { addLabNotesItem(title: "x") { id } }`);
      expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      const blank = await gql(router.graphqlUrl, `mutation { addLabNotesItem(title: "  ") { id } }`, {}, { token });
      expect(blank.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'title' });

      const added = await gql(router.graphqlUrl, `mutation { addLabNotesItem(title: "First note") { id title processed } }`, {}, { token });
      expect(added.errors).toBeUndefined();
      const id = added.data?.addLabNotesItem.id as string;
      expect(added.data?.addLabNotesItem).toMatchObject({ title: 'First note', processed: false });

      let items: { id: string; processed: boolean }[] = [];
      for (let i = 0; i < 100 && !items.find((x) => x.id === id)?.processed; i++) {
        await new Promise((r) => setTimeout(r, 100));
        items = (await gql(router.graphqlUrl, `{ labNotesItems { id title processed } }`)).data?.labNotesItems ?? [];
      }
      expect(items.find((x) => x.id === id)).toEqual({ id, title: 'First note', processed: true });

      // Its internal route answers other services through the typed client of its contracts.
      const contracts = (await import(pathToFileURL(join(root, 'subgraphs', NAME, 'src', 'contracts.ts')).href)) as {
        LabNotesClient: new (c: InternalClient) => { items(ids: string[]): Promise<unknown[]> };
      };
      const client = new contracts.LabNotesClient(new InternalClient({ secret: serviceSecret, service: 'test', baseUrl: sub.url }));
      expect(await client.items([id])).toEqual([{ id, title: 'First note', processed: true }]);
      // …and only to them.
      expect((await fetch(`${sub.url}/internal/${NAME}/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"ids":[]}' })).status).toBe(401);
      // Its GraphQL endpoint answers the router only: a call straight to it without a proof is refused.
      const direct = await gql(sub.graphqlUrl, `{ labNotesItems { id } }`);
      expect(direct.status).toBe(401);
      expect(direct.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }, 30_000);
  });
});
