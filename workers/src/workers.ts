import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readSupergraphConfig, repoRoot, type WorkerDefinition } from '@ai-teacher/shared';

/**
 * Every queue consumer this process runs: for each subgraph in supergraph.yaml that has a
 * `src/worker.ts`, the worker definition it exports by default (`defineWorker(service, jobs)`). A
 * new subgraph's jobs are picked up with no edit here.
 */
export async function workerDefinitions(root = repoRoot): Promise<WorkerDefinition[]> {
  const definitions: WorkerDefinition[] = [];
  for (const sg of readSupergraphConfig(root)) {
    const file = join(root, 'subgraphs', sg.name, 'src', 'worker.ts');
    if (!existsSync(file)) continue;
    const mod = (await import(pathToFileURL(file).href)) as { default?: WorkerDefinition };
    if (!mod.default?.open) throw new Error(`${file} must export its defineWorker(...) as default`);
    definitions.push(mod.default);
  }
  return definitions;
}
