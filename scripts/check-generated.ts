// Exits non-zero, naming the files, when committed generated code differs from what the schemas
// produce now: the composed supergraph and each subgraph's resolver types.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from '@graphql-codegen/cli';
import { composeSupergraph } from '@ai-teacher/router/compose';
import { repoRoot } from '@ai-teacher/shared';
import { codegenConfig } from '../codegen.ts';

// Checks the repository at the given directory (default: this one).
const root = process.argv[2] ?? repoRoot;

const stale: string[] = [];
const read = (file: string) => {
  try {
    return readFileSync(join(root, file), 'utf8');
  } catch {
    return undefined;
  }
};

const composed = composeSupergraph(root);
if (!composed.ok) {
  console.error(`composition failed:\n${composed.errors.map((e) => `  - ${e}`).join('\n')}`);
  process.exit(1);
}
if (read('router/supergraph.graphql') !== composed.supergraphSdl + '\n') stale.push('router/supergraph.graphql (run npm run compose)');

const files = (await generate({ ...codegenConfig(root), silent: true }, false)) as { filename: string; content: string }[];
for (const f of files) if (read(f.filename) !== f.content) stale.push(`${f.filename} (run npm run codegen)`);

if (stale.length) {
  console.error(`stale generated files:\n${stale.map((s) => `  - ${s}`).join('\n')}`);
  process.exit(1);
}
console.log(`generated code is up to date (${files.length + 1} files)`);
