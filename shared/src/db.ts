import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import type { Logger as OrmLogger, MigrationObject } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { MikroORM, PostgreSqlDriver, type EntityManager, type Options } from '@mikro-orm/postgresql';
import pg from 'pg';
import type { Logger } from 'pino';
import type { DatabaseConfig } from './config.ts';

export type { EntityManager, MikroORM };

export interface OrmDefinition {
  /** The Postgres schema this subgraph owns; its tables and migrations table live there only. */
  schema: string;
  entities: NonNullable<Options['entities']>;
  /** Migrations in order, as classes: no file globbing, so bundlers and test runners agree. */
  migrations: MigrationObject[];
}

export function ormOptions(def: OrmDefinition, db: DatabaseConfig, logger?: Logger, onQuery?: () => void): Options {
  return {
    clientUrl: db.DATABASE_URL,
    schema: def.schema,
    entities: def.entities,
    extensions: [Migrator],
    pool: { min: 0, max: db.DB_POOL_MAX },
    // Reads go to the replica when one is configured; writes, flushes and transactions stay on the
    // primary. PgBouncer in transaction mode is fine: no session state, no named prepared statements.
    // Inside `withPrimaryReads` (read-your-writes, see read-your-writes.ts) reads go to the primary too.
    ...(db.READ_DATABASE_URL ? { replicas: [{ name: 'read', clientUrl: db.READ_DATABASE_URL }], preferReadReplicas: true, driver: ReadYourWritesDriver } : {}),
    debug: db.DB_DEBUG,
    ...(logger || onQuery ? { loggerFactory: mikroLogger(logger, onQuery) } : {}),
    migrations: {
      migrationsList: def.migrations,
      tableName: 'mikro_orm_migrations',
      schema: def.schema,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true, // migrate() reports what it applied
    },
    ensureDatabase: false,
    discovery: { warnWhenNoEntities: false },
  } as Options;
}

const primaryReads = new AsyncLocalStorage<true>();

/** Runs `fn` (and everything it starts) with every read on the primary, replica or not. */
export function withPrimaryReads<T>(fn: () => T): T {
  return primaryReads.run(true, fn);
}

/**
 * Every statement MikroORM runs picks its connection here (entity finds, query builders, raw
 * `execute`), so the choice holds for the whole request without threading options through
 * repositories.
 */
class ReadYourWritesDriver extends PostgreSqlDriver {
  override getConnection(type?: 'read' | 'write') {
    return super.getConnection(primaryReads.getStore() ? 'write' : type);
  }
}

function mikroLogger(logger: Logger | undefined, onQuery?: () => void): () => OrmLogger {
  const child = logger?.child({ component: 'orm' });
  return () =>
    ({
      log: (namespace: string, message: string) => child?.debug({ namespace }, message),
      error: (namespace: string, message: string) => child?.error({ namespace }, message),
      warn: (namespace: string, message: string) => child?.warn({ namespace }, message),
      // Called for every statement: counted for /metrics (and N+1 tests), logged at debug level.
      logQuery: (ctx) => {
        if (ctx.level !== 'error') onQuery?.();
        child?.debug({ took: ctx.took }, ctx.query ?? '');
      },
      setDebugMode: () => undefined,
      isEnabled: () => Boolean(child?.isLevelEnabled('debug')),
    });
}

export async function createOrm(def: OrmDefinition, db: DatabaseConfig, logger?: Logger, onQuery?: () => void): Promise<MikroORM> {
  return MikroORM.init(ormOptions(def, db, logger, onQuery));
}

/**
 * Applies pending migrations of one subgraph. A Postgres advisory lock per schema, held on a
 * dedicated session, makes replicas that start together take turns instead of racing on the same
 * DDL. Run migrations against Postgres directly, not through PgBouncer in transaction mode.
 */
export async function migrate(orm: MikroORM, schema: string, databaseUrl: string): Promise<string[]> {
  const lockId = createHash('sha256').update(`migrate:${schema}`).digest().readBigInt64BE(0).toString();
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [lockId]);
    await client.query(`create schema if not exists "${schema}"`);
    const done = await orm.migrator.up();
    return done.map((m) => m.name);
  } finally {
    await client.query('select pg_advisory_unlock($1)', [lockId]).catch(() => undefined);
    await client.end();
  }
}

/** The `pg` pools behind the ORM (the primary's, and the read replica's when one is configured), for pool metrics. */
export async function dbPools(orm: MikroORM): Promise<{ role: 'primary' | 'read'; pool: pg.Pool }[]> {
  const driver = orm.em.getDriver();
  const primary = driver.getConnection('write');
  const read = driver.getConnection('read');
  const pools: { role: 'primary' | 'read'; pool: pg.Pool }[] = [{ role: 'primary', pool: (await primary.getNativeClient()) as pg.Pool }];
  if (read !== primary) pools.push({ role: 'read', pool: (await read.getNativeClient()) as pg.Pool });
  return pools;
}

export async function pingDatabase(orm: MikroORM): Promise<boolean> {
  try {
    await orm.em.getConnection().execute('select 1');
    return true;
  } catch {
    return false;
  }
}
