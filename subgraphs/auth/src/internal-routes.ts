import { implement } from '@ai-teacher/shared';
import { usersLookupRoute } from './contracts.ts';
import type { AuthServices } from './service.ts';

/** The routes other services call (contracts in contracts.ts). */
export const internalRoutes = [
  implement(usersLookupRoute, async (query, services: AuthServices) => ({ users: await services.directory.lookup(query) })),
];
