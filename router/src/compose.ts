import { readFileSync } from 'node:fs';
import { composeServices } from '@apollo/composition';
import { readSupergraphConfig, repoRoot } from '@ai-teacher/shared/core';
import { parse as parseGraphQL } from 'graphql';

export { readSupergraphConfig };

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
