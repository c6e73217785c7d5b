import type { OrmDefinition } from '@ai-teacher/shared';
import { Ingestion } from './entities/ingestion.entity.ts';
import { Migration20261127020000_init } from './migrations/Migration20261127020000_init.ts';
import { Migration20261127050000_vector_bytes } from './migrations/Migration20261127050000_vector_bytes.ts';

export const ormDefinition: OrmDefinition = {
  schema: 'retrieval',
  entities: [Ingestion],
  migrations: [
    { name: 'Migration20261127020000_init', class: Migration20261127020000_init },
    { name: 'Migration20261127050000_vector_bytes', class: Migration20261127050000_vector_bytes },
  ],
};
