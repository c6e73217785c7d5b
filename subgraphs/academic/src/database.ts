import type { OrmDefinition } from '@ai-teacher/shared';
import { Book, Course, CourseTeacher, Department, Enrollment, Faculty, Profile, Semester } from './entities/index.ts';
import { Migration20261127010000_init } from './migrations/Migration20261127010000_init.ts';
import { Migration20261204100000_outbox } from './migrations/Migration20261204100000_outbox.ts';

export const ormDefinition: OrmDefinition = {
  schema: 'academic',
  entities: [Faculty, Department, Semester, Course, Book, CourseTeacher, Enrollment, Profile],
  migrations: [
    { name: 'Migration20261127010000_init', class: Migration20261127010000_init },
    { name: 'Migration20261204100000_outbox', class: Migration20261204100000_outbox },
  ],
};
