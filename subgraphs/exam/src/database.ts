import type { OrmDefinition } from '@ai-teacher/shared';
import { Answer, Attempt, Exam, ExamItem } from './entities/exam.entity.ts';
import { Migration20261203150000_init } from './migrations/Migration20261203150000_init.ts';

export const ormDefinition: OrmDefinition = {
  schema: 'exam',
  entities: [Exam, ExamItem, Attempt, Answer],
  migrations: [{ name: 'Migration20261203150000_init', class: Migration20261203150000_init }],
};
