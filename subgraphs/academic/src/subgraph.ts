import { readFileSync } from 'node:fs';
import { contextBase, createSubgraph, defineSubgraph, type Env, type RunningSubgraph } from '@ai-teacher/shared';
import { parse } from 'graphql';
import { internalRoutes } from './internal-routes.ts';
import { BookRepository } from './repositories/book.repository.ts';
import { HierarchyRepository } from './repositories/hierarchy.repository.ts';
import { MembershipRepository } from './repositories/membership.repository.ts';
import { ProfileRepository } from './repositories/profile.repository.ts';
import { resolvers } from './resolvers/index.ts';
import { academicService } from './service.ts';
import { AcademicService } from './services/academic.service.ts';
import { ImportService } from './services/import.service.ts';
import { createLoaders } from './services/loaders.ts';

export const ACADEMIC_DEFAULT_PORT = 4002;
export const academicTypeDefs = parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

export const academicSubgraph = defineSubgraph({
  service: academicService,
  defaultPort: ACADEMIC_DEFAULT_PORT,
  typeDefs: academicTypeDefs,
  resolvers,
  internalRoutes,
  context(request, services) {
    const { em, logger } = request;
    const repos = {
      hierarchy: new HierarchyRepository(em),
      books: new BookRepository(em),
      members: new MembershipRepository(em),
      profiles: new ProfileRepository(em),
    };
    const loaders = createLoaders(repos, services.directory);
    return {
      ...contextBase(request),
      academic: new AcademicService({ identity: request.identity, ...repos, loaders, directory: services.directory, redis: services.redis, purgeBooks: services.purgeBooks, requestId: request.requestId, logger }),
      imports: new ImportService({ em, directory: services.directory, redis: services.redis, logger }),
    };
  },
});

/** Starts the academic subgraph. `env` is merged over process.env. */
export function startAcademicSubgraph(env: Env = {}): Promise<RunningSubgraph> {
  return createSubgraph(academicSubgraph, env);
}
