// Applies every subgraph's pending migrations to DATABASE_URL (creating the database if needed).
import { migrateAll } from './lib/database.ts';

try {
  await migrateAll();
} catch (err) {
  console.error(`Migration failed: ${(err as Error).message}`);
  process.exit(1);
}
