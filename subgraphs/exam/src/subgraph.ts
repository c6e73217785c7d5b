import { contextBase, createSubgraph, defineSubgraph, type Env, loadSchema, type RunningSubgraph } from '@ai-teacher/shared';
import { internalRoutes } from './internal-routes.ts';
import { ExamRepository } from './repositories/exam.repository.ts';
import { resolvers } from './resolvers/index.ts';
import { examService } from './service.ts';
import { ExamService } from './services/exam.service.ts';

export const examSubgraph = defineSubgraph({
  service: examService,
  defaultPort: 4005,
  typeDefs: loadSchema(import.meta.url),
  resolvers,
  internalRoutes,
  context(request, s) {
    return {
      ...contextBase(request),
      exams: new ExamService({
        identity: request.identity,
        config: s.config,
        exams: new ExamRepository(request.em),
        scope: s.scope,
        retrieval: s.retrieval,
        redis: s.redis,
        generations: s.generations(),
        submissions: s.submissions(),
        gradings: s.gradings(),
        generator: s.generator,
        publishedItems: s.publishedItems,
        relay: s.relay,
        logger: request.logger,
        requestId: request.requestId,
      }),
    };
  },
});

/** Starts the exam subgraph. `env` is merged over process.env. */
export function startExamSubgraph(env: Env = {}): Promise<RunningSubgraph> {
  return createSubgraph(examSubgraph, env);
}

export default examSubgraph;
