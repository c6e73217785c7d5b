import { implement } from '@ai-teacher/shared';
import { bookRoute, courseAccessRoute, courseMembersRoute } from './contracts.ts';
import type { AcademicServices } from './service.ts';

/** The routes other services call (contracts in contracts/). */
export const internalRoutes = [
  implement(courseAccessRoute, (input, services: AcademicServices) => services.courseAccess.access(input.courseId, input.userId, input.role)),
  implement(bookRoute, async (input, services: AcademicServices) => ({ book: await services.courseAccess.book(input.bookId) })),
  implement(courseMembersRoute, (input, services: AcademicServices) => services.courseMembers.page(input)),
];
