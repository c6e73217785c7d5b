// A subgraph's schema and resolvers executed in process (Apollo's executeOperation), with its real
// service set-up (database, Redis, migrations) and the context the kit builds for each HTTP
// request: the subgraph-level test tier, without a network hop.
import { randomBytes } from 'node:crypto';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import type { z } from 'zod';
import { type Env, loadConfig } from '../config.ts';
import { createErrorFormatter } from '../errors.ts';
import type { Identity } from '../identity.ts';
import { createLogger, type Logger } from '../logger.ts';
import { createMetrics } from '../metrics.ts';
import { type ConfigSchema, coreConfigSchema, type CoreConfig, type OpenedService, openService } from '../service.ts';
import type { SubgraphContext, SubgraphDefinition } from '../subgraph/define.ts';

export interface OperationResult {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response shapes are asserted by each test
  data?: Record<string, any> | null;
  errors?: readonly { message: string; path?: readonly (string | number)[]; extensions?: Record<string, unknown> }[];
}

export interface InProcessSubgraph<Config, Services> {
  opened: OpenedService<Config, Services>;
  logger: Logger;
  /** One operation as `identity` (null: anonymous), with a fresh request context. */
  run(query: string, variables: Record<string, unknown>, identity: Identity | null): Promise<OperationResult>;
  stop(): Promise<void>;
}

/** Opens the subgraph's service (migrating its schema) and an Apollo server over its schema. */
export async function openSubgraphInProcess<Schema extends ConfigSchema, Services, Context extends SubgraphContext>(
  def: SubgraphDefinition<Schema, Services, Context>,
  env: Env,
): Promise<InProcessSubgraph<z.infer<Schema>, Services>> {
  const name = `${def.service.name}-test`;
  const logger = createLogger(name, 'silent');
  const config = loadConfig(coreConfigSchema.extend(def.service.config.shape), env) as CoreConfig & z.infer<Schema>;
  const opened = await openService(def.service, { name, config, logger, metrics: createMetrics(name), migrate: true });
  const server = new ApolloServer<Context>({
    schema: buildSubgraphSchema([{ typeDefs: def.typeDefs, resolvers: def.resolvers as GraphQLResolverMap<unknown> }]),
    formatError: createErrorFormatter(logger),
    plugins: [ApolloServerPluginInlineTraceDisabled()],
  });
  try {
    await server.start();
  } catch (err) {
    await opened.close();
    throw err;
  }
  return {
    opened,
    logger,
    async run(query, variables, identity) {
      const request = { em: opened.deps.orm.em.fork(), identity, requestId: randomBytes(8).toString('hex'), clientIp: '127.0.0.1', logger };
      const res = await server.executeOperation({ query, variables }, { contextValue: def.context(request, opened.services) });
      if (res.body.kind !== 'single') throw new Error('expected a single result');
      return res.body.singleResult as OperationResult;
    },
    async stop() {
      await server.stop();
      await opened.close();
    },
  };
}
