import type { OrmDefinition } from '@ai-teacher/shared';
import { Notification, Preference } from './entities/notification.entity.ts';
import { Migration20261203160000_init } from './migrations/Migration20261203160000_init.ts';

export const ormDefinition: OrmDefinition = {
  schema: 'notification',
  entities: [Notification, Preference],
  migrations: [{ name: 'Migration20261203160000_init', class: Migration20261203160000_init }],
};
