import { implement } from '@ai-teacher/shared';
import { searchRoute } from './contracts.ts';
import type { RetrievalServices } from './service.ts';

/** The routes other services call (contracts in contracts.ts). */
export const internalRoutes = [
  implement(searchRoute, (input, services: RetrievalServices) => services.internalSearch.search(input.courseId, input.query, input.limit)),
];
