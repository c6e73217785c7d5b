import { readFileSync } from 'node:fs';
import { type DocumentNode, parse } from 'graphql';
import type { Express } from 'express';
import { z } from 'zod';
import { identitySchema, zc } from '../config.ts';
import type { EntityManager } from '../db.ts';
import type { Identity } from '../identity.ts';
import type { InternalRouteHandler } from '../internal.ts';
import type { Logger } from '../logger.ts';
import { type ConfigSchema, type CoreConfig, coreConfigSchema, type ServiceDefinition } from '../service.ts';

/** Settings of every subgraph process, on top of its service's own (IDENTITY_SECRET: it verifies the router's proofs). */
export const subgraphConfigSchema = coreConfigSchema.extend(identitySchema.shape).extend({
  PORT: zc.port.optional(),
  /** Apply pending migrations at start-up (handy in development; run `npm run migrate` in production). */
  MIGRATE_ON_START: zc.bool.default(false),
  GRAPHQL_BODY_LIMIT: z.string().default('10mb'),
  /** With READ_DATABASE_URL: how long after a mutation the user's reads stay on the primary (read-your-writes). */
  READ_YOUR_WRITES_MS: z.coerce.number().int().positive().default(5_000),
});
export type SubgraphConfig = z.infer<typeof subgraphConfigSchema>;

/** What every resolver gets; a subgraph adds its request-scoped services and loaders. */
export interface SubgraphContext {
  /** The caller as verified by the router; null when anonymous. */
  identity: Identity | null;
  requestId: string;
  clientIp: string;
  logger: Logger;
}

/** One request, as the kit hands it to a subgraph's `context` factory. */
export interface RequestInfo extends SubgraphContext {
  /** A fresh EntityManager fork for this request: for building repositories, not for resolvers. */
  em: EntityManager;
}

/** The resolver map a subgraph passes in (its codegen `Resolvers` type). */
export type ResolverMap = object;

export interface SubgraphDefinition<Schema extends ConfigSchema, Services, Context extends SubgraphContext> {
  service: ServiceDefinition<Schema, Services>;
  /** Default port (supergraph.yaml's routing_url); PORT overrides it. */
  defaultPort: number;
  typeDefs: DocumentNode;
  resolvers: ResolverMap;
  /** Builds one request's context from the long-lived services. */
  context(request: RequestInfo, services: NoInfer<Services>): Context;
  /** Service-to-service routes, declared with their contracts (`implement(route, handler)`). */
  internalRoutes?: InternalRouteHandler<NoInfer<Services>>[];
  /** Other public HTTP routes (e.g. auth's JWKS). */
  routes?(app: Express, services: NoInfer<Services>): void;
  /**
   * Serve the schema's subscriptions over graphql-ws at /graphql. Only the router connects: each
   * subscription carries the router's signed identity headers in `extensions.forwarded`, with a
   * proof bound to this subgraph and the subscription's query.
   */
  subscriptions?: boolean;
  /** Accept GraphQL multipart requests (file uploads) up to this many bytes per file. */
  uploadMaxBytes?(config: CoreConfig & z.infer<Schema>): number;
}

export function defineSubgraph<Schema extends ConfigSchema, Services, Context extends SubgraphContext>(
  def: SubgraphDefinition<Schema, Services, Context>,
): SubgraphDefinition<Schema, Services, Context> {
  return def;
}

/** The part of a request every resolver may see (everything but the EntityManager). */
export function contextBase(request: RequestInfo): SubgraphContext {
  return { identity: request.identity, requestId: request.requestId, clientIp: request.clientIp, logger: request.logger };
}

/** A subgraph's schema.graphql, beside its src/ folder (pass the calling module's import.meta.url). */
export function loadSchema(moduleUrl: string): DocumentNode {
  return parse(readFileSync(new URL('../schema.graphql', moduleUrl), 'utf8'));
}
