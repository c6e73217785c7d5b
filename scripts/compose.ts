// Composes supergraph.yaml into router/supergraph.graphql; exits non-zero on a composition error.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@ai-teacher/shared';
import { composeSupergraph } from '@ai-teacher/router/compose';

const result = composeSupergraph();
if (!result.ok) {
  console.error('Composition failed:');
  for (const e of result.errors) console.error(`  - ${e}`);
  process.exit(1);
}
const out = join(repoRoot, 'router', 'supergraph.graphql');
writeFileSync(out, result.supergraphSdl + '\n');
console.log(`wrote ${out}`);
