import type { OrmDefinition } from '@ai-teacher/shared';
import { RefreshToken } from './entities/refresh-token.entity.ts';
import { User } from './entities/user.entity.ts';
import { Migration20261127000000_init } from './migrations/Migration20261127000000_init.ts';
import { Migration20261210000000_sessions } from './migrations/Migration20261210000000_sessions.ts';

export const ormDefinition: OrmDefinition = {
  schema: 'auth',
  entities: [User, RefreshToken],
  migrations: [
    { name: 'Migration20261127000000_init', class: Migration20261127000000_init },
    { name: 'Migration20261210000000_sessions', class: Migration20261210000000_sessions },
  ],
};
