import { afterAll, beforeAll } from '@jest/globals';
import { createOrm, migrate, type MikroORM } from '@ai-teacher/shared';
import { createTestDatabase, type TestDatabase } from '@ai-teacher/shared/testing';
import { ormDefinition } from '../src/database.ts';

/** A fresh database with the retrieval schema for this test file; `orm()` is ready inside tests. */
export function useRetrievalDatabase(): { orm(): MikroORM } {
  let db: TestDatabase;
  let orm: MikroORM | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
    orm = await createOrm(ormDefinition, { DATABASE_URL: db.url, DB_POOL_MAX: 4, DB_DEBUG: false });
    await migrate(orm, 'retrieval', db.url);
  });
  afterAll(async () => {
    await orm?.close();
    await db?.drop();
  });
  return {
    orm() {
      if (!orm) throw new Error('the test database is not ready (use it inside tests or hooks)');
      return orm;
    },
  };
}
