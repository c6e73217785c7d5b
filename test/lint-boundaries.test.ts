// The import boundaries in eslint.config.js (`boundaries/dependencies`) catch what they are meant
// to: deliberate violations, linted at virtual paths inside the real tree so that imports resolve
// to real files, are reported; legal imports are not.
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ESLint } from 'eslint';
import { repoRoot } from '@ai-teacher/shared';

const RULE = 'boundaries/dependencies';
const eslint = new ESLint({ cwd: repoRoot });

/** The boundary errors ESLint reports for `source` as if it were the file at `path` (from the repo root). */
async function boundaryErrors(path: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${source}\n`, { filePath: join(repoRoot, path) });
  expect(result).toBeDefined();
  // A parse error would hide everything else.
  expect(result!.messages.filter((m) => m.fatal)).toEqual([]);
  return result!.messages.filter((m) => m.ruleId === RULE).map((m) => m.message);
}

// Another subgraph's contracts are its public surface, so importing them is legal.
const contractImports = ['../../../retrieval/src/contracts.ts', '@ai-teacher/retrieval/contracts'];

describe('import boundaries', () => {
  it.each([
    ['a subgraph imports another subgraph’s internals', 'subgraphs/tutor/src/services/x.ts', '../../../academic/src/services/hierarchy.service.ts', /subgraph="tutor".*subgraph="academic"/],
    ['a subgraph imports another subgraph’s package root', 'subgraphs/tutor/src/services/x.ts', '@ai-teacher/academic', /subgraph="tutor".*subgraph="academic"/],
    ['the router imports a subgraph', 'router/src/x.ts', '../../subgraphs/auth/src/subgraph.ts', /type "router".*type "subgraph"/],
    ['the kit imports a subgraph', 'shared/src/x.ts', '../../subgraphs/auth/src/subgraph.ts', /type "shared".*type "subgraph"/],
    ['the kit imports the router', 'shared/src/x.ts', '../../router/src/config.ts', /type "shared".*type "router"/],
    ['a resolver imports a repository', 'subgraphs/academic/src/resolvers/x.ts', '../repositories/book.repository.ts', /type "repositories".*type "resolvers"/],
    ['a resolver imports MikroORM', 'subgraphs/academic/src/resolvers/x.ts', '@mikro-orm/core', /@mikro-orm\/core.*type "resolvers"/],
    ['contracts import their subgraph’s internals', 'subgraphs/tutor/src/contracts.ts', './services/tutor.service.ts', /type "subgraph".*category "contracts"/],
    ['the worker host imports a subgraph’s package root', 'workers/src/x.ts', '@ai-teacher/retrieval', /type "worker-host".*type "subgraph"/],
    ['a workspace import that resolves to no file', 'subgraphs/tutor/src/services/x.ts', '@ai-teacher/retrieval/no-such-export', /resolves to no file/],
  ])('reports: %s', async (_case, path, target, message) => {
    const errors = await boundaryErrors(path, `import { x } from '${target}';\nexport { x };`);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(message);
  });

  it('reports a type-only import across a boundary too', async () => {
    const errors = await boundaryErrors('subgraphs/academic/src/resolvers/x.ts', "import type { EntityManager } from '@mikro-orm/core';\nexport type { EntityManager };");
    expect(errors).toHaveLength(1);
  });

  it.each([
    ['a subgraph imports the kit', 'subgraphs/tutor/src/services/x.ts', '@ai-teacher/shared'],
    ...contractImports.map((target) => ['a subgraph imports another subgraph’s contracts', 'subgraphs/tutor/src/services/x.ts', target]),
    ['a subgraph imports its own code', 'subgraphs/tutor/src/services/x.ts', '../subgraph.ts'],
    ['a subgraph imports an npm package', 'subgraphs/tutor/src/services/x.ts', 'zod'],
    ['the router imports the kit’s testing entry', 'router/src/x.ts', '@ai-teacher/shared/testing'],
    ['a resolver imports a service of its subgraph', 'subgraphs/academic/src/resolvers/x.ts', '../services/academic.service.ts'],
    ['a service imports a repository', 'subgraphs/academic/src/services/x.ts', '../repositories/book.repository.ts'],
    ['a service imports MikroORM', 'subgraphs/academic/src/services/x.ts', '@mikro-orm/core'],
    ['the worker host imports a subgraph’s worker entry', 'workers/src/x.ts', '../../subgraphs/retrieval/src/worker.ts'],
    ['a test imports another subgraph’s internals', 'subgraphs/tutor/src/services/x.spec.ts', '../../../academic/src/services/hierarchy.service.ts'],
  ])('allows: %s (%s → %s)', async (_case, path, target) => {
    expect(await boundaryErrors(path, `import { x } from '${target}';\nexport { x };`)).toEqual([]);
  });
});
