// The kit without its database, queue and worker parts (MikroORM, BullMQ): what a process that
// never opens Postgres or a queue needs. The router imports this entry (`@ai-teacher/shared/core`):
// loading MikroORM's Postgres driver and BullMQ cost it about 37 MB of resident memory for nothing.
export * from './address-key.ts';
export * from './config.ts';
export * from './cursor.ts';
export * from './errors.ts';
export * from './http.ts';
export * from './identity.ts';
export * from './internal.ts';
export * from './logger.ts';
export * from './metrics.ts';
export * from './redis.ts';
export * from './redis-budget.ts';
export * from './request-context.ts';
export * from './scalars.ts';
export * from './shutdown.ts';
export * from './token-revocation.ts';
export * from './subgraph/identity-middleware.ts';
export * from './uploads.ts';
export * from './validation.ts';
export * from './supergraph.ts';
export * from './telemetry.ts';
