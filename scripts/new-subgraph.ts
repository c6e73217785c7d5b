// `npm run new:subgraph -- <name> [--port N]`: adds a subgraph — its folder under subgraphs/ and its
// supergraph.yaml entry, nothing else — then composes the supergraph and generates its resolver
// types. The new subgraph has one entity, one query and one mutation, one internal route and one
// queue with its worker; `npm install` links its package, then `npm start` runs it.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readSupergraphConfig, repoRoot } from '@ai-teacher/shared';
import { subgraphFiles, subgraphNames, supergraphEntry } from './lib/subgraph-template.ts';

const RESERVED = new Set(['router', 'shared', 'workers', 'gateway']);
/** Ports other processes take by default (router, workers). */
const TAKEN_PORTS = new Set([4000, 4010]);

function fail(message: string): never {
  console.error(`new-subgraph: ${message}`);
  process.exit(2);
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { port: { type: 'string' }, root: { type: 'string' } } });
const name = positionals[0];
if (!name || positionals.length > 1) fail('usage: npm run new:subgraph -- <name> [--port N]');
if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name) || name.length > 40) fail(`"${name}" must be kebab-case (a-z, 0-9 and single dashes, at most 40 characters)`);
if (RESERVED.has(name)) fail(`"${name}" is reserved`);

const root = resolve(values.root ?? repoRoot);
const existing = readSupergraphConfig(root);
const folder = join(root, 'subgraphs', name);
if (existing.some((sg) => sg.name === name)) fail(`supergraph.yaml already lists "${name}"`);
if (existsSync(folder)) fail(`${folder} already exists`);

const usedPorts = new Set([...TAKEN_PORTS, ...existing.map((sg) => Number(new URL(sg.routingUrl).port))]);
let port = values.port ? Number(values.port) : Math.max(...existing.map((sg) => Number(new URL(sg.routingUrl).port))) + 1;
if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`--port must be a port number`);
if (values.port && usedPorts.has(port)) fail(`port ${port} is taken`);
while (usedPorts.has(port)) port++;

const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
const names = subgraphNames(name, port);
for (const [path, content] of Object.entries(subgraphFiles(names, stamp))) {
  const file = join(folder, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
}
const yamlFile = join(root, 'supergraph.yaml');
const yaml = readFileSync(yamlFile, 'utf8');
writeFileSync(yamlFile, `${yaml.endsWith('\n') ? yaml : `${yaml}\n`}${supergraphEntry(names)}`);

// Loaded only now: a refused name answers at once.
const [{ generate }, { composeSupergraph }, { codegenConfig }] = await Promise.all([import('@graphql-codegen/cli'), import('@ai-teacher/router/compose'), import('../codegen.ts')]);
const composed = composeSupergraph(root);
if (!composed.ok) fail(`composition failed:\n${composed.errors.map((e) => `  - ${e}`).join('\n')}`);
writeFileSync(join(root, 'router', 'supergraph.graphql'), `${composed.supergraphSdl}\n`);
await generate({ ...codegenConfig(root), silent: true }, true);

console.log(
  [
    `subgraphs/${name}/ created (port ${port}) and added to supergraph.yaml; supergraph composed, resolver types generated.`,
    'Next:',
    '  npm install        links @ai-teacher/' + name,
    '  npm start          starts it with the others (its migrations run with `npm run migrate`)',
  ].join('\n'),
);
