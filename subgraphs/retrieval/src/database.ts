import type { OrmDefinition } from '@ai-teacher/shared';
import { Ingestion } from './entities/ingestion.entity.ts';
import { Migration20261127020000_init } from './migrations/Migration20261127020000_init.ts';
import { Migration20261127050000_vector_bytes } from './migrations/Migration20261127050000_vector_bytes.ts';
import { Migration20261204100000_book_events } from './migrations/Migration20261204100000_book_events.ts';

export const ormDefinition: OrmDefinition = {
  schema: 'retrieval',
  entities: [Ingestion],
  migrations: [
    { name: 'Migration20261127020000_init', class: Migration20261127020000_init },
    { name: 'Migration20261127050000_vector_bytes', class: Migration20261127050000_vector_bytes },
    { name: 'Migration20261204100000_book_events', class: Migration20261204100000_book_events },
  ],
};
