import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { composeServices } from '@apollo/composition';
import { repoRoot } from '@ai-teacher/shared';
import { parse as parseGraphQL } from 'graphql';
import { parse as parseYaml } from 'yaml';

export interface SubgraphEntry {
  name: string;
  routingUrl: string;
  schemaFile: string;
}

/** The subgraphs listed in supergraph.yaml, in file order. */
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

export type Composition = { ok: true; supergraphSdl: string } | { ok: false; errors: string[] };

/** Composes supergraph.yaml offline with @apollo/composition (what `rover supergraph compose` does). */
export function composeSupergraph(root = repoRoot): Composition {
  const services = readSupergraphConfig(root).map((sg) => ({
    name: sg.name,
    url: sg.routingUrl,
    typeDefs: parseGraphQL(readFileSync(sg.schemaFile, 'utf8')),
  }));
  const result = composeServices(services);
  if (result.errors?.length || !result.supergraphSdl) {
    return { ok: false, errors: (result.errors ?? []).map((e) => e.message) };
  }
  return { ok: true, supergraphSdl: result.supergraphSdl };
}
