import { contextBase, createSubgraph, defineSubgraph, type Env, loadSchema, type RunningSubgraph } from '@ai-teacher/shared';
import { ChatRepository } from './repositories/chat.repository.ts';
import { resolvers } from './resolvers/index.ts';
import { tutorService } from './service.ts';
import { TutorService } from './services/tutor.service.ts';

export const tutorSubgraph = defineSubgraph({
  service: tutorService,
  defaultPort: 4003,
  typeDefs: loadSchema(import.meta.url),
  resolvers,
  subscriptions: true,
  context(request, services) {
    const { config, engine, streams, slots, finisher, scope, examLock } = services;
    return {
      ...contextBase(request),
      tutor: new TutorService({ identity: request.identity, config, chats: new ChatRepository(request.em), scope, examLock, engine, streams, slots, finisher, logger: request.logger }),
    };
  },
});

/** Starts the tutor subgraph (queries, mutations and graphql-ws subscriptions). `env` is merged over process.env. */
export function startTutorSubgraph(env: Env = {}): Promise<RunningSubgraph> {
  return createSubgraph(tutorSubgraph, env);
}

export default tutorSubgraph;
