import { implement } from '@ai-teacher/shared';
import { coursePassagesRoute, courseBooksRoute, searchRoute } from './contracts.ts';
import type { RetrievalServices } from './service.ts';

/** The routes other services call (contracts in contracts.ts). */
export const internalRoutes = [
  implement(searchRoute, (input, services: RetrievalServices) => services.internalSearch.search(input.courseId, input.query, input.limit)),
  implement(courseBooksRoute, async (input, services: RetrievalServices) => ({ books: await services.internalSearch.courseBooks(input.courseId) })),
  implement(coursePassagesRoute, (input, services: RetrievalServices) => services.internalSearch.coursePassages(input)),
];
