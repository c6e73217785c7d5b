import { defineService } from '@ai-teacher/shared';
import { UserDirectory } from '@ai-teacher/auth/contracts';
import { purgeBookQueue } from '@ai-teacher/retrieval/contracts';
import { academicConfigSchema } from './config.ts';
import { ormDefinition } from './database.ts';
import { CourseAccessService } from './services/course-access.service.ts';

/** The academic model's long-lived collaborators, built once per process. */
export const academicService = defineService({
  name: 'academic',
  config: academicConfigSchema,
  orm: ormDefinition,
  setup(deps) {
    return {
      redis: deps.redis,
      directory: new UserDirectory(deps.internal(deps.config.AUTH_INTERNAL_URL)),
      /** Tells retrieval (and later exam) that a book is gone, so its material is purged. */
      purgeBooks: deps.producer(purgeBookQueue),
      courseAccess: new CourseAccessService(deps.orm),
    };
  },
});
export type AcademicServices = Awaited<ReturnType<typeof academicService.setup>>;
