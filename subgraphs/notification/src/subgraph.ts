import { contextBase, createSubgraph, defineSubgraph, type Env, loadSchema, type RunningSubgraph } from '@ai-teacher/shared';
import { NotificationRepository } from './repositories/notification.repository.ts';
import { resolvers } from './resolvers/index.ts';
import { notificationService } from './service.ts';
import { NotificationService } from './services/notification.service.ts';
import { mountUnsubscribe } from './services/unsubscribe.ts';

export const notificationSubgraph = defineSubgraph({
  service: notificationService,
  defaultPort: 4006,
  typeDefs: loadSchema(import.meta.url),
  resolvers,
  subscriptions: true,
  routes: (app, s) => mountUnsubscribe(app, s.unsubscribe, s.orm),
  context(request, s) {
    return {
      ...contextBase(request),
      notifications: new NotificationService({
        identity: request.identity,
        config: s.config,
        notifications: new NotificationRepository(request.em),
        scope: s.scope,
        members: s.members,
        feed: s.feed,
        announceLimiter: s.announceLimiter,
        relay: s.relay,
      }),
    };
  },
});

/** Starts the notification subgraph (queries, mutations and the notificationAdded subscription). `env` is merged over process.env. */
export function startNotificationSubgraph(env: Env = {}): Promise<RunningSubgraph> {
  return createSubgraph(notificationSubgraph, env);
}

export default notificationSubgraph;
