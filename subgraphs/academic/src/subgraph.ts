import { contextBase, createSubgraph, defineSubgraph, type Env, loadSchema, type RequestInfo, type RunningSubgraph } from '@ai-teacher/shared';
import type { AcademicContext } from './context.ts';
import { internalRoutes } from './internal-routes.ts';
import { AccessPolicy } from './policy/access.policy.ts';
import { BookRepository } from './repositories/book.repository.ts';
import { HierarchyRepository } from './repositories/hierarchy.repository.ts';
import { ImportRepository } from './repositories/import.repository.ts';
import { MembershipRepository } from './repositories/membership.repository.ts';
import { ProfileRepository } from './repositories/profile.repository.ts';
import { resolvers } from './resolvers/index.ts';
import { type AcademicServices, academicService } from './service.ts';
import { BookService } from './services/book.service.ts';
import { HierarchyService } from './services/hierarchy.service.ts';
import { ImportService } from './services/import.service.ts';
import { createLoaders } from './services/loaders.ts';
import { MembershipService } from './services/membership.service.ts';
import { ProfileService } from './services/profile.service.ts';

/** One request's services: repositories over the request's EntityManager, one access policy for all. */
function academicContext(request: RequestInfo, services: AcademicServices): AcademicContext {
  const { em, identity, requestId, logger } = request;
  const { directory, redis, purgeBooks, relay } = services;
  const repos = {
    hierarchy: new HierarchyRepository(em),
    books: new BookRepository(em),
    members: new MembershipRepository(em),
    profiles: new ProfileRepository(em),
  };
  const loaders = createLoaders(repos, directory);
  const policy = new AccessPolicy(identity, repos.members);
  return {
    ...contextBase(request),
    hierarchy: new HierarchyService({ policy, hierarchy: repos.hierarchy, loaders }),
    books: new BookService({ policy, books: repos.books, loaders, redis, purgeBooks, requestId, logger }),
    memberships: new MembershipService({ policy, members: repos.members, hierarchy: repos.hierarchy, loaders, redis, relay, logger }),
    profiles: new ProfileService({ policy, profiles: repos.profiles, loaders }),
    imports: new ImportService({ policy, imports: new ImportRepository(em), directory, redis, relay, logger }),
  };
}

export const academicSubgraph = defineSubgraph({
  service: academicService,
  defaultPort: 4002,
  typeDefs: loadSchema(import.meta.url),
  resolvers,
  internalRoutes,
  context: academicContext,
});

/** Starts the academic subgraph. `env` is merged over process.env. */
export function startAcademicSubgraph(env: Env = {}): Promise<RunningSubgraph> {
  return createSubgraph(academicSubgraph, env);
}

export default academicSubgraph;
