import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { repoRoot } from './config.ts';

export interface SubgraphEntry {
  name: string;
  routingUrl: string;
  schemaFile: string;
}

/**
 * The subgraphs listed in supergraph.yaml, in file order: the one list of subgraphs that
 * composition, codegen, migrations, `npm start` and the worker process all read.
 */
export function readSupergraphConfig(root = repoRoot): SubgraphEntry[] {
  const doc = parseYaml(readFileSync(join(root, 'supergraph.yaml'), 'utf8')) as {
    subgraphs: Record<string, { routing_url: string; schema: { file: string } }>;
  };
  return Object.entries(doc.subgraphs).map(([name, sg]) => ({
    name,
    routingUrl: sg.routing_url,
    schemaFile: join(root, sg.schema.file),
  }));
}
