// The one image every service runs: a pinned Node 22 base, a runtime stage with production
// dependencies only, running as the unprivileged `node` user, with its data directories owned by it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { repoRoot } from '@ai-teacher/shared';

const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8')
  .split('\n')
  .filter((l) => !/^\s*#/.test(l))
  .join('\n')
  .replace(/\\\n/g, ' ');
const args = Object.fromEntries([...dockerfile.matchAll(/^ARG (\w+)=(\S+)/gm)].map((m) => [m[1]!, m[2]!]));
const expand = (s: string) => s.replace(/\$\{?(\w+)\}?/g, (_m, n: string) => args[n] ?? `$${n}`);

/** Stages in order: their base image, name and instructions. */
const stages = dockerfile
  .split(/^(?=FROM )/m)
  .filter((s) => s.startsWith('FROM '))
  .map((text) => {
    const m = /^FROM (\S+)(?: AS (\S+))?/i.exec(text)!;
    return { from: expand(m[1]!), name: m[2], text };
  });
const runtime = stages.at(-1)!;

describe('Dockerfile', () => {
  it('is a multi-stage build on a pinned Node 22 base', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const { from } of stages) {
      if (stages.some((s) => s.name === from)) continue; // FROM an earlier stage
      expect(from).toMatch(/^node:22\.\d+\.\d+-[a-z]+(-slim)?(@sha256:[0-9a-f]{64})?$/);
    }
  });

  it('ends in the runtime stage: production dependencies only, as the non-root node user', () => {
    expect(runtime.name).toBe('runtime');
    expect(runtime.text).toMatch(/RUN npm ci [^\n]*--omit=dev/);
    const users = [...runtime.text.matchAll(/^USER (\S+)/gm)].map((m) => m[1]);
    expect(users.at(-1)).toBe('node');
    // The runtime stage takes no node_modules from a stage that had the dev dependencies.
    expect(runtime.text).not.toMatch(/COPY --from=\S+ \S*node_modules/);
  });

  it('copies every workspace manifest before npm ci (or npm ci would not link it)', () => {
    const workspaces = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { workspaces: string[] }).workspaces;
    const manifests = workspaces.flatMap((w) =>
      w.endsWith('/*')
        ? readdirSync(join(repoRoot, w.slice(0, -2)))
            .map((d) => `${w.slice(0, -2)}/${d}/package.json`)
            .filter((p) => existsSync(join(repoRoot, p)))
        : [`${w}/package.json`],
    );
    expect(manifests.length).toBeGreaterThan(6);
    for (const m of manifests) expect(dockerfile).toContain(`COPY ${m} `);
  });

  it('has the package patches in place before the runtime stage installs (npm ci applies them: postinstall)', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string>; dependencies: Record<string, string> };
    expect(pkg.scripts.postinstall).toBe('patch-package');
    expect(pkg.dependencies['patch-package']).toBeDefined(); // not a dev dependency: the runtime stage omits those
    expect(readdirSync(join(repoRoot, 'patches')).length).toBeGreaterThan(0);
    const base = stages.find((s) => s.name === 'base')!;
    expect(base.text).toMatch(/^COPY patches\/ patches\/$/m);
    expect(runtime.text).toMatch(/COPY --from=base \/app \.\//);
    expect(runtime.text.indexOf('COPY --from=base')).toBeLessThan(runtime.text.indexOf('npm ci'));
  });

  it('creates the data directories the volumes mount, owned by node', () => {
    const compose = parse(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
      services: Record<string, { environment?: Record<string, string> }>;
    };
    const blobDir = compose.services.retrieval!.environment!.BLOB_DIR!;
    expect(runtime.text).toMatch(new RegExp(`mkdir -p [^\\n]*${blobDir}`));
    expect(runtime.text).toMatch(/chown -R node:node \/data/);
    expect(blobDir.startsWith('/data/')).toBe(true);
    // ...before switching to the unprivileged user.
    expect(runtime.text.indexOf('chown -R node:node')).toBeLessThan(runtime.text.lastIndexOf('USER node'));
  });

  it('keeps secrets and local state out of the build context', () => {
    const ignore = readFileSync(join(repoRoot, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['.env', 'node_modules', '.data', '.git']) expect(ignore).toContain(entry);
  });
});
