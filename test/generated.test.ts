// Generated artefacts are committed; this fails when a schema changed and someone forgot to
// regenerate (`npm run compose`, `npm run codegen`) or when composition breaks.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { repoRoot } from '@ai-teacher/shared';

const run = promisify(execFile);

// Code generation runs in a plain Node process: its plugins load CommonJS and ESM in ways the
// test runner's module sandbox does not support.
async function check(root: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(repoRoot, 'scripts', 'check-generated.ts'), root], { cwd: repoRoot });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: e.stdout + e.stderr };
  }
}

describe('generated code', () => {
  it('the committed supergraph and resolver types match the schemas', async () => {
    const { code, output } = await check(repoRoot);
    expect(output).toMatch(/up to date/);
    expect(code).toBe(0);
  }, 60_000);

  it('a schema edit without regeneration is caught', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'ait-gen-'));
    try {
      for (const p of ['supergraph.yaml', 'router/supergraph.graphql', 'subgraphs']) {
        cpSync(join(repoRoot, p), join(copy, p), { recursive: true, filter: (src) => !src.includes('node_modules') });
      }
      const schema = join(copy, 'subgraphs', 'auth', 'schema.graphql');
      writeFileSync(schema, `${readFileSync(schema, 'utf8')}\nextend type Query { ping: String }\n`);
      const { code, output } = await check(copy);
      expect(code).not.toBe(0);
      expect(output).toMatch(/supergraph\.graphql/);
      expect(output).toMatch(/generated\/graphql\.ts/);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  }, 60_000);
});
