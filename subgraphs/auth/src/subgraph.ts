import { contextBase, createSubgraph, defineSubgraph, type Env, loadSchema, type RunningSubgraph } from '@ai-teacher/shared';
import DataLoader from 'dataloader';
import type { User } from './entities/user.entity.ts';
import { internalRoutes } from './internal-routes.ts';
import { resolvers } from './resolvers/index.ts';
import { authService } from './service.ts';

export const authSubgraph = defineSubgraph({
  service: authService,
  defaultPort: 4001,
  typeDefs: loadSchema(import.meta.url),
  resolvers,
  context(request, services) {
    const auth = services.accounts(request.em, request.logger);
    return {
      ...contextBase(request),
      auth,
      // Batches `_entities` lookups of users into one query per request.
      userLoader: new DataLoader<string, User | null>(async (ids) => {
        const found = new Map((await auth.usersByIds(ids)).map((u) => [u.id, u]));
        return ids.map((id) => found.get(id) ?? null);
      }),
    };
  },
  internalRoutes,
  routes(app, services) {
    // Public keys for verifying access tokens (RFC 7517). Cached briefly by verifiers.
    app.get(['/.well-known/jwks.json', '/jwks'], (_req, res) => {
      res.set('cache-control', 'public, max-age=300');
      res.json(services.tokens.jwks());
    });
  },
});

/** Starts the auth subgraph. `env` is merged over process.env. */
export function startAuthSubgraph(env: Env = {}): Promise<RunningSubgraph> {
  return createSubgraph(authSubgraph, env);
}

export default authSubgraph;
