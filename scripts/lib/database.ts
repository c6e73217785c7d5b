import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { createOrm, databaseSchema, loadConfig, migrate, type OrmDefinition, repoRoot } from '@ai-teacher/shared';
import { readSupergraphConfig } from '@ai-teacher/router/compose';
import pg from 'pg';

/** Creates the database named in `url` when it does not exist yet (connecting to `postgres`). */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (!rowCount) await client.query(`create database "${name.replace(/"/g, '""')}"`).catch((err: { code?: string }) => {
      if (err.code !== '42P04') throw err; // created concurrently
    });
  } finally {
    await client.end();
  }
}

/** Applies every subgraph's pending migrations (subgraphs from supergraph.yaml). */
export async function migrateAll(env: Record<string, string | undefined> = {}, log = console.log): Promise<void> {
  const db = loadConfig(databaseSchema, env);
  await ensureDatabase(db.DATABASE_URL);
  for (const sg of readSupergraphConfig()) {
    const mod = (await import(pathToFileURL(join(repoRoot, 'subgraphs', sg.name, 'src', 'database.ts')).href)) as { ormDefinition: OrmDefinition };
    const orm = await createOrm(mod.ormDefinition, db);
    try {
      const applied = await migrate(orm, mod.ormDefinition.schema, db.DATABASE_URL);
      log(`${sg.name}: ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'}`);
    } finally {
      await orm.close();
    }
  }
}
