import { readFileSync } from 'node:fs';
import { AppError, createSubgraph, type Env, loadConfig, parseInput, requireServiceProof, type RunningSubgraph } from '@ai-teacher/shared';
import express from 'express';
import { z } from 'zod';
import DataLoader from 'dataloader';
import { parse } from 'graphql';
import { authConfigSchema } from './config.ts';
import type { AuthContext } from './context.ts';
import { ormDefinition } from './database.ts';
import type { User } from './entities/user.entity.ts';
import { resolvers } from './resolvers/index.ts';
import { RefreshTokenRepository } from './repositories/refresh-token.repository.ts';
import { UserRepository } from './repositories/user.repository.ts';
import { AuthService, normaliseEmail } from './services/auth.service.ts';
import { LoginThrottle } from './services/login-throttle.service.ts';
import { PasswordHasher } from './services/password.service.ts';
import { TokenService } from './services/token.service.ts';

export const AUTH_DEFAULT_PORT = 4001;

const lookupInput = z.object({
  ids: z.array(z.uuid()).max(50_000).default([]),
  emails: z.array(z.string().max(320)).max(50_000).default([]),
});
export const authTypeDefs = parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

/** Builds and starts the auth subgraph. `env` is merged over process.env. */
export async function startAuthSubgraph(env: Env = {}): Promise<RunningSubgraph> {
  const config = loadConfig(authConfigSchema, env);
  const hasher = new PasswordHasher(config.ARGON2_MEMORY_KIB, config.ARGON2_TIME_COST);
  let tokens: TokenService | undefined;
  let throttle: LoginThrottle | undefined;

  const services = (ctx: { em: AuthContext['em']; logger: AuthContext['logger'] }) =>
    new AuthService({
      users: new UserRepository(ctx.em),
      refreshTokens: new RefreshTokenRepository(ctx.em),
      hasher,
      tokens: tokens!,
      throttle: throttle!,
      config,
      logger: ctx.logger,
    });

  return createSubgraph<AuthContext>({
    name: 'auth',
    typeDefs: authTypeDefs,
    resolvers: resolvers as never,
    orm: ormDefinition,
    defaultPort: AUTH_DEFAULT_PORT,
    env,
    async onStart(deps) {
      tokens = await TokenService.create(config, deps.config);
      throttle = new LoginThrottle(deps.redis, config);
      if (config.ADMIN_EMAIL && config.ADMIN_PASSWORD) {
        await services({ em: deps.orm.em.fork(), logger: deps.logger }).ensureAdmin(config.ADMIN_EMAIL, config.ADMIN_PASSWORD);
      } else if (config.ADMIN_EMAIL || config.ADMIN_PASSWORD) {
        deps.logger.warn('set both ADMIN_EMAIL and ADMIN_PASSWORD to create the first admin');
      }
    },
    routes(app, deps) {
      // Other services look users up by id or email (academic: assignments, enrolments, imports).
      app.post('/internal/users/lookup', requireServiceProof(deps.identitySecret), express.json({ limit: '5mb' }), async (req, res, next) => {
        try {
          const query = parseInput(lookupInput, req.body);
          const users = new UserRepository(deps.orm.em.fork());
          const found = [
            ...(query.ids.length ? await users.findByIds(query.ids) : []),
            ...(query.emails.length ? await users.findByEmails(query.emails.map(normaliseEmail)) : []),
          ];
          const unique = new Map(found.map((u) => [u.id, { id: u.id, email: u.email, role: u.role, displayName: u.displayName }]));
          res.json({ users: [...unique.values()] });
        } catch (err) {
          if (err instanceof AppError) return void res.status(400).json({ error: err.message });
          next(err);
        }
      });
      // Public keys for verifying access tokens (RFC 7517). Cached briefly by verifiers.
      app.get(['/.well-known/jwks.json', '/jwks'], (_req, res) => {
        res.set('cache-control', 'public, max-age=300');
        res.json(tokens!.jwks());
      });
    },
    context(base) {
      const users = new UserRepository(base.em);
      return {
        ...base,
        auth: services(base),
        userLoader: new DataLoader<string, User | null>(async (ids) => {
          const found = new Map((await users.findByIds(ids)).map((u) => [u.id, u]));
          return ids.map((id) => found.get(id) ?? null);
        }),
      };
    },
  });
}
