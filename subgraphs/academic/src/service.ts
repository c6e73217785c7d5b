import { defineService, notifyQueue, OutboxRelay } from '@ai-teacher/shared';
import { UserDirectory } from '@ai-teacher/auth/contracts';
import { purgeBookQueue } from '@ai-teacher/retrieval/contracts';
import { academicConfigSchema } from './config.ts';
import { ormDefinition } from './database.ts';
import { academicOutbox } from './repositories/enrollment-events.ts';
import { CourseAccessService } from './services/course-access.service.ts';
import { CourseMembersService } from './services/course-members.service.ts';

/** The academic model's long-lived collaborators, built once per process. */
export const academicService = defineService({
  name: 'academic',
  config: academicConfigSchema,
  orm: ormDefinition,
  setup(deps) {
    // Moves committed events (ENROLLED) to the notify queue: kicked after each change, and on a
    // timer for anything a crashed process left behind.
    const relay = new OutboxRelay({ outbox: academicOutbox, orm: deps.orm, producer: deps.producer(notifyQueue), logger: deps.logger, intervalMs: deps.config.OUTBOX_RELAY_INTERVAL_MS });
    relay.start();
    deps.onStop(() => relay.stop());
    return {
      relay,
      redis: deps.redis,
      directory: new UserDirectory(deps.internal(deps.config.AUTH_INTERNAL_URL)),
      /** Tells retrieval (and later exam) that a book is gone, so its material is purged. */
      purgeBooks: deps.producer(purgeBookQueue),
      courseAccess: new CourseAccessService(deps.orm),
      courseMembers: new CourseMembersService(deps.orm),
    };
  },
});
export type AcademicServices = Awaited<ReturnType<typeof academicService.setup>>;
