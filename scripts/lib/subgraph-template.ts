// The files of a new subgraph: one entity, one query and one mutation, one internal route, one
// queue with its worker, wired the way every subgraph is (defineService, defineSubgraph,
// defineWorker). `npm run new:subgraph -- <name>` writes them; README "Adding a subgraph".

export interface SubgraphNames {
  /** kebab-case: folder, package, queue and route names (`lab-notes`). */
  name: string;
  /** PascalCase: types and classes (`LabNotes`). */
  pascal: string;
  /** camelCase: fields (`labNotes`). */
  camel: string;
  /** snake_case: the Postgres schema (`lab_notes`). */
  snake: string;
  /** UPPER_SNAKE: settings (`LAB_NOTES`). */
  upper: string;
  port: number;
}

export function subgraphNames(name: string, port: number): SubgraphNames {
  const pascal = name.replace(/(^|-)([a-z0-9])/g, (_, _d, c: string) => c.toUpperCase());
  return { name, pascal, camel: pascal[0]!.toLowerCase() + pascal.slice(1), snake: name.replace(/-/g, '_'), upper: name.replace(/-/g, '_').toUpperCase(), port };
}

/** Path (relative to the subgraph's folder) → content. */
export function subgraphFiles(n: SubgraphNames, migrationStamp: string): Record<string, string> {
  const item = `${n.pascal}Item`;
  const migration = `Migration${migrationStamp}_init`;
  return {
    'package.json': `${JSON.stringify(
      {
        name: `@ai-teacher/${n.name}`,
        version: '0.1.0',
        private: true,
        type: 'module',
        exports: { '.': './src/subgraph.ts', './contracts': './src/contracts.ts' },
        scripts: { start: 'node src/index.ts' },
        dependencies: { '@ai-teacher/shared': '*' },
      },
      null,
      2,
    )}\n`,

    'codegen.json': `${JSON.stringify(
      {
        '//': 'Resolver type mappers for `npm run codegen`: the model each GraphQL type\'s resolvers return (paths relative to src/generated/).',
        mappers: { [item]: '../entities/item.entity.ts#Item as ItemEntity' },
      },
      null,
      2,
    )}\n`,

    'schema.graphql': `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@cost", "@listSize"])

"""
An ISO-8601 date-time in UTC, e.g. 2026-11-27T10:00:00.000Z.
"""
scalar DateTime

"""
An item of the ${n.name} subgraph.
"""
type ${item} @key(fields: "id") {
  id: ID!
  title: String!
  """
  True once the ${n.name}-item-added job has processed the item.
  """
  processed: Boolean!
  createdAt: DateTime!
}

type Query {
  """
  The newest items, anyone may read them.
  """
  ${n.camel}Items(first: Int = 20): [${item}!]!
}

type Mutation {
  """
  Signed-in users add an item; a job then processes it.
  """
  add${item}(title: String!): ${item}!
}
`,

    'src/index.ts': `import { runService } from '@ai-teacher/shared';
import { start${n.pascal}Subgraph } from './subgraph.ts';

await runService('${n.name}', () => start${n.pascal}Subgraph());
`,

    'src/config.ts': `import { z } from 'zod';

export const ${n.camel}ConfigSchema = z.object({
  /** Longest item title accepted. */
  ${n.upper}_TITLE_MAX: z.coerce.number().int().positive().default(200),
});
export type ${n.pascal}Config = z.infer<typeof ${n.camel}ConfigSchema>;
`,

    'src/database.ts': `import type { OrmDefinition } from '@ai-teacher/shared';
import { Item } from './entities/item.entity.ts';
import { ${migration} } from './migrations/${migration}.ts';

export const ormDefinition: OrmDefinition = {
  schema: '${n.snake}',
  entities: [Item],
  migrations: [{ name: '${migration}', class: ${migration} }],
};
`,

    'src/entities/item.entity.ts': `import { defineEntity, p } from '@mikro-orm/postgresql';

export const ItemSchema = defineEntity({
  name: 'Item',
  tableName: 'items',
  properties: {
    id: p.uuid().primary(),
    title: p.string().length(500),
    processedAt: p.datetime().nullable(),
    createdBy: p.uuid(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});

export class Item extends ItemSchema.class {}
ItemSchema.setClass(Item);
`,

    [`src/migrations/${migration}.ts`]: `import { Migration } from '@mikro-orm/migrations';

export class ${migration} extends Migration {
  override up(): void {
    this.addSql(\`
      create table "${n.snake}"."items" (
        "id" uuid primary key,
        "title" varchar(500) not null,
        "processed_at" timestamptz null,
        "created_by" uuid not null,
        "created_at" timestamptz not null
      );\`);
    this.addSql(\`create index "items_created_at_index" on "${n.snake}"."items" ("created_at");\`);
  }
}
`,

    'src/repositories/item.repository.ts': `import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@ai-teacher/shared';
import { Item } from '../entities/item.entity.ts';

export class ItemRepository {
  private readonly em: EntityManager;
  constructor(em: EntityManager) {
    this.em = em;
  }

  newest(limit: number): Promise<Item[]> {
    return this.em.find(Item, {}, { orderBy: { createdAt: 'desc', id: 'asc' }, limit });
  }

  byIds(ids: readonly string[]): Promise<Item[]> {
    return this.em.find(Item, { id: { $in: [...ids] } });
  }

  async create(title: string, createdBy: string): Promise<Item> {
    const item = this.em.create(Item, { id: randomUUID(), title, createdBy, processedAt: null });
    await this.em.flush();
    return item;
  }

  /** Idempotent (a retried job changes nothing): true when the item exists and is processed. */
  async markProcessed(id: string): Promise<boolean> {
    await this.em.nativeUpdate(Item, { id, processedAt: null }, { processedAt: new Date() });
    return (await this.em.count(Item, { id, processedAt: { $ne: null } })) > 0;
  }
}
`,

    'src/services/item.service.ts': `import { type Identity, NotFoundError, parseInput, type Producer, UnauthenticatedError } from '@ai-teacher/shared';
import { z } from 'zod';
import type { ItemAddedPayload } from '../contracts.ts';
import type { Item } from '../entities/item.entity.ts';
import type { ItemRepository } from '../repositories/item.repository.ts';

const id = z.uuid({ message: 'must be a valid id' });
const first = z.number().int().min(1, 'must be at least 1').max(100, 'must be at most 100');

/** The rules: anyone reads, signed-in users add; every added item is handed to a job. */
export class ItemService {
  private readonly d: { identity: Identity | null; items: ItemRepository; added: Producer<ItemAddedPayload>; titleMax: number; requestId: string };
  constructor(deps: ItemService['d']) {
    this.d = deps;
  }

  newest(rawFirst: unknown): Promise<Item[]> {
    return this.d.items.newest(parseInput(first, rawFirst ?? 20, 'first'));
  }

  async byId(rawId: unknown): Promise<Item> {
    const [item] = await this.d.items.byIds([parseInput(id, rawId, 'id')]);
    if (!item) throw new NotFoundError('No item with this id');
    return item;
  }

  async add(rawTitle: unknown): Promise<Item> {
    if (!this.d.identity) throw new UnauthenticatedError();
    const max = this.d.titleMax;
    const title = parseInput(z.string().trim().min(1, 'must not be blank').max(max, \`must be at most \${max} characters\`), rawTitle, 'title');
    const item = await this.d.items.create(title, this.d.identity.userId);
    await this.d.added.add({ itemId: item.id, requestId: this.d.requestId });
    return item;
  }
}
`,

    'src/services/directory.service.ts': `import type { MikroORM } from '@ai-teacher/shared';
import type { ItemSummary } from '../contracts.ts';
import { ItemRepository } from '../repositories/item.repository.ts';

/** Answers other services (the internal items route) and the worker. */
export class ItemDirectory {
  private readonly orm: MikroORM;
  constructor(orm: MikroORM) {
    this.orm = orm;
  }

  async byIds(ids: string[]): Promise<ItemSummary[]> {
    const items = await new ItemRepository(this.orm.em.fork()).byIds(ids);
    return items.map((i) => ({ id: i.id, title: i.title, processed: i.processedAt !== null }));
  }

  markProcessed(id: string): Promise<boolean> {
    return new ItemRepository(this.orm.em.fork()).markProcessed(id);
  }
}
`,

    'src/contracts.ts': `// What the ${n.name} subgraph offers other services: its queue and its internal route.
import { defineInternalRoute, defineQueue, type InternalClient } from '@ai-teacher/shared';
import { z } from 'zod';

/** ${n.name}-item-added: one job per added item. */
export interface ItemAddedPayload {
  itemId: string;
  requestId?: string;
}
export const itemAddedQueue = defineQueue<ItemAddedPayload>('${n.name}-item-added', { jobId: (p) => \`item-added-\${p.itemId}\` });

const itemSummary = z.object({ id: z.uuid(), title: z.string(), processed: z.boolean() });
export type ItemSummary = z.infer<typeof itemSummary>;

/** Items by id, for other services. */
export const itemsRoute = defineInternalRoute({
  path: '/internal/${n.name}/items',
  input: z.object({ ids: z.array(z.uuid()).min(1).max(500) }),
  output: z.object({ items: z.array(itemSummary) }),
});

/** Calls the ${n.name} subgraph's internal routes. */
export class ${n.pascal}Client {
  private readonly client: InternalClient;
  constructor(client: InternalClient) {
    this.client = client;
  }

  async items(ids: string[]): Promise<ItemSummary[]> {
    return (await this.client.call(itemsRoute, { ids })).items;
  }
}
`,

    'src/internal-routes.ts': `import { implement } from '@ai-teacher/shared';
import { itemsRoute } from './contracts.ts';
import type { ${n.pascal}Services } from './service.ts';

/** The routes other services call (contracts in contracts.ts). */
export const internalRoutes = [implement(itemsRoute, async (input, services: ${n.pascal}Services) => ({ items: await services.directory.byIds(input.ids) }))];
`,

    'src/service.ts': `import { defineService } from '@ai-teacher/shared';
import { ${n.camel}ConfigSchema } from './config.ts';
import { itemAddedQueue } from './contracts.ts';
import { ormDefinition } from './database.ts';
import { ItemDirectory } from './services/directory.service.ts';

/** Built once per process, for the subgraph and its worker alike. */
export const ${n.camel}Service = defineService({
  name: '${n.name}',
  config: ${n.camel}ConfigSchema,
  orm: ormDefinition,
  setup(deps) {
    return {
      titleMax: deps.config.${n.upper}_TITLE_MAX,
      // Opened on first use: the worker process never enqueues.
      itemAdded: () => deps.producer(itemAddedQueue),
      directory: new ItemDirectory(deps.orm),
    };
  },
});
export type ${n.pascal}Services = Awaited<ReturnType<typeof ${n.camel}Service.setup>>;
`,

    'src/context.ts': `import type { SubgraphContext } from '@ai-teacher/shared';
import type { ItemService } from './services/item.service.ts';

export interface ${n.pascal}Context extends SubgraphContext {
  items: ItemService;
}
`,

    'src/resolvers/index.ts': `import { DateTimeScalar } from '@ai-teacher/shared';
import type { Resolvers } from '../generated/graphql.ts';

export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Query: {
    ${n.camel}Items: (_p, a, ctx) => ctx.items.newest(a.first),
  },
  Mutation: {
    add${item}: (_p, a, ctx) => ctx.items.add(a.title),
  },
  ${item}: {
    __resolveReference: (ref, ctx) => ctx.items.byId(ref.id),
    processed: (i) => i.processedAt !== null,
  },
};
`,

    'src/subgraph.ts': `import { contextBase, createSubgraph, defineSubgraph, type Env, loadSchema, type RunningSubgraph } from '@ai-teacher/shared';
import { internalRoutes } from './internal-routes.ts';
import { ItemRepository } from './repositories/item.repository.ts';
import { resolvers } from './resolvers/index.ts';
import { ${n.camel}Service } from './service.ts';
import { ItemService } from './services/item.service.ts';

export const ${n.camel}Subgraph = defineSubgraph({
  service: ${n.camel}Service,
  defaultPort: ${n.port},
  typeDefs: loadSchema(import.meta.url),
  resolvers,
  internalRoutes,
  context(request, services) {
    return {
      ...contextBase(request),
      items: new ItemService({ identity: request.identity, items: new ItemRepository(request.em), added: services.itemAdded(), titleMax: services.titleMax, requestId: request.requestId }),
    };
  },
});

/** Starts the ${n.name} subgraph. \`env\` is merged over process.env. */
export function start${n.pascal}Subgraph(env: Env = {}): Promise<RunningSubgraph> {
  return createSubgraph(${n.camel}Subgraph, env);
}

export default ${n.camel}Subgraph;
`,

    'src/worker.ts': `import { defineWorker, handle } from '@ai-teacher/shared';
import { itemAddedQueue } from './contracts.ts';
import { ${n.camel}Service } from './service.ts';

/** The ${n.name} queue consumers, built from the same service set-up as the subgraph. */
export default defineWorker(${n.camel}Service, [
  handle(itemAddedQueue, async (job, services) => ({ processed: await services.directory.markProcessed(job.data.itemId) })),
]);
`,
  };
}

/** The supergraph.yaml entry of a new subgraph. */
export function supergraphEntry(n: SubgraphNames): string {
  return `  ${n.name}:\n    routing_url: http://127.0.0.1:${n.port}/graphql\n    schema:\n      file: ./subgraphs/${n.name}/schema.graphql\n`;
}
