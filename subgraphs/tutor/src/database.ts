import type { OrmDefinition } from '@ai-teacher/shared';
import { ChatMessage, ChatSession } from './entities/chat.entity.ts';
import { Migration20261127060000_init } from './migrations/Migration20261127060000_init.ts';

export const ormDefinition: OrmDefinition = {
  schema: 'tutor',
  entities: [ChatSession, ChatMessage],
  migrations: [{ name: 'Migration20261127060000_init', class: Migration20261127060000_init }],
};
