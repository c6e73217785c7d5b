import type { z } from 'zod';
import { baseSchema, databaseSchema, httpSchema, redisSchema, resolveServiceSecret, serviceSecretSchema } from './config.ts';
import { createOrm, dbPools, migrate, type MikroORM, type OrmDefinition } from './db.ts';
import { InternalClient } from './internal.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import { Producer, type QueueDefinition } from './queues.ts';
import { createRedis, type Redis } from './redis.ts';

/**
 * Settings every service process has, whether it serves GraphQL or runs jobs. IDENTITY_SECRET is
 * not among them: only a subgraph's HTTP side verifies the router's proofs (subgraphConfigSchema).
 */
export const coreConfigSchema = baseSchema.extend(httpSchema.shape).extend(databaseSchema.shape).extend(redisSchema.shape).extend(serviceSecretSchema.shape);
export type CoreConfig = z.infer<typeof coreConfigSchema>;

/** A service's own settings (a zod object of environment variables). */
export type ConfigSchema = z.ZodObject;

/** What a service's `setup` is handed: opened once per process, closed by the kit at shutdown. */
export interface ServiceDeps<Config> {
  /** The process's name in logs and metrics (e.g. `retrieval`, `workers`). */
  name: string;
  /** The kit's settings plus the service's own, parsed once for the process. */
  config: CoreConfig & Config;
  logger: Logger;
  orm: MikroORM;
  /** The shared client connection (keys carry REDIS_KEY_PREFIX). */
  redis: Redis;
  metrics: Metrics;
  /**
   * SERVICE_SECRET: signs and verifies service-to-service calls (and other links between the
   * services, e.g. notification's unsubscribe links). Read on first use, so a process with no
   * internal client or route never loads it.
   */
  readonly serviceSecret: string;
  /** A producer for `queue`, opened on first use and closed at shutdown. */
  producer<Payload>(queue: QueueDefinition<Payload>): Producer<Payload>;
  /** A client for another service's internal routes, signed as this service. */
  internal(baseUrl: string): InternalClient;
  /** A Redis connection of its own (pub/sub needs one), closed at shutdown. */
  dedicatedRedis(): Redis;
  /**
   * Runs at shutdown after requests and jobs have stopped, before the database and Redis close;
   * the last registered runs first.
   */
  onStop(fn: () => Promise<void> | void): void;
}

/**
 * A service: its settings, its database schema and the one `setup` that builds its long-lived
 * services. The subgraph (`defineSubgraph`) and its queue consumers (`defineWorker`) both start
 * from it, so they are wired the same way.
 */
export interface ServiceDefinition<Schema extends ConfigSchema, Services> {
  name: string;
  config: Schema;
  orm: OrmDefinition;
  setup(deps: ServiceDeps<z.infer<Schema>>): Services | Promise<Services>;
}

export function defineService<Schema extends ConfigSchema, Services>(def: ServiceDefinition<Schema, Services>): ServiceDefinition<Schema, Services> {
  return def;
}

export interface OpenedService<Config, Services> {
  deps: ServiceDeps<Config>;
  services: Services;
  /** Runs the registered stop hooks, then closes producers, extra connections, the ORM and Redis. */
  close(): Promise<void>;
}

/** Opens a service's database, Redis and helpers and runs its setup (the kit calls this). */
export async function openService<Schema extends ConfigSchema, Services>(
  def: ServiceDefinition<Schema, Services>,
  opts: { name: string; config: CoreConfig & z.infer<Schema>; logger: Logger; metrics: Metrics; migrate?: boolean },
): Promise<OpenedService<z.infer<Schema>, Services>> {
  const { config, logger, metrics } = opts;
  let serviceSecret: string | undefined;
  const loadServiceSecret = () => (serviceSecret ??= resolveServiceSecret(config, config));
  const orm = await createOrm(def.orm, config, logger, () => metrics.dbQueries.inc());
  const redis = createRedis(config, 'client');
  // Saturation gauges, read on scrape: this service's Postgres pools and Redis connections.
  for (const { role, pool } of await dbPools(orm)) metrics.watchDbPool(opts.name, role, pool);
  metrics.watchRedis('client', redis, { ping: true });
  const connections: Redis[] = [];
  const producers = new Map<string, Producer<unknown>>();
  const stopHooks: (() => Promise<void> | void)[] = [];
  let queueConnection: Redis | undefined;

  const deps: ServiceDeps<z.infer<Schema>> = {
    name: opts.name,
    config,
    logger,
    orm,
    redis,
    metrics,
    get serviceSecret() {
      return loadServiceSecret();
    },
    producer<Payload>(queue: QueueDefinition<Payload>): Producer<Payload> {
      const existing = producers.get(queue.name);
      if (existing) return existing as Producer<Payload>;
      if (!queueConnection) {
        queueConnection = createRedis(config, 'queue');
        metrics.watchRedis('queue', queueConnection);
      }
      const producer = new Producer(queue, queueConnection, config.REDIS_KEY_PREFIX, opts.name);
      producers.set(queue.name, producer as Producer<unknown>);
      return producer;
    },
    internal: (baseUrl) => new InternalClient({ secret: loadServiceSecret(), service: opts.name, baseUrl }),
    dedicatedRedis() {
      const connection = createRedis(config, 'queue');
      metrics.watchRedis('pubsub', connection);
      connections.push(connection);
      return connection;
    },
    onStop: (fn) => void stopHooks.push(fn),
  };

  const close = async () => {
    for (const hook of stopHooks.reverse()) {
      await Promise.resolve(hook()).catch((err: unknown) => logger.error({ err }, 'stop hook failed'));
    }
    await Promise.all([...producers.values()].map((p) => p.close().catch(() => undefined)));
    queueConnection?.disconnect();
    for (const c of connections) c.disconnect();
    await orm.close();
    await redis.quit().catch(() => redis.disconnect());
  };

  try {
    if (opts.migrate) {
      const applied = await migrate(orm, def.orm.schema, config.DATABASE_URL);
      if (applied.length) logger.info({ applied }, 'migrations applied');
    }
    return { deps, services: await def.setup(deps), close };
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
}
