import { defineService, TokenRevocation } from '@ai-teacher/shared';
import { authConfigSchema } from './config.ts';
import { ormDefinition } from './database.ts';
import { AuthService } from './services/auth.service.ts';
import { LoginThrottle } from './services/login-throttle.service.ts';
import { PasswordHasher } from './services/password.service.ts';
import { RefreshTokenCleanup } from './services/refresh-token-cleanup.service.ts';
import { RegistrationThrottle } from './services/registration-throttle.service.ts';
import { TokenService } from './services/token.service.ts';
import { UserDirectoryService } from './services/user-directory.service.ts';
import { RefreshTokenRepository } from './repositories/refresh-token.repository.ts';
import { UserRepository } from './repositories/user.repository.ts';
import type { EntityManager, Logger } from '@ai-teacher/shared';

/** Users, passwords, tokens: built once per process. */
export const authService = defineService({
  name: 'auth',
  config: authConfigSchema,
  orm: ormDefinition,
  async setup(deps) {
    const { config } = deps;
    const hasher = new PasswordHasher(config.ARGON2_MEMORY_KIB, config.ARGON2_TIME_COST);
    const tokens = await TokenService.create(config, config);
    const throttle = new LoginThrottle(deps.redis, config);
    const registrations = new RegistrationThrottle(deps.redis, config);
    const revocation = new TokenRevocation(deps.redis, config.ACCESS_TOKEN_TTL);
    const accounts = (em: EntityManager, logger: Logger) =>
      new AuthService({
        users: new UserRepository(em),
        refreshTokens: new RefreshTokenRepository(em),
        hasher,
        tokens,
        throttle,
        registrations,
        revocation,
        config,
        logger,
      });
    if (config.ADMIN_EMAIL && config.ADMIN_PASSWORD) {
      await accounts(deps.orm.em.fork(), deps.logger).ensureAdmin(config.ADMIN_EMAIL, config.ADMIN_PASSWORD);
    } else if (config.ADMIN_EMAIL || config.ADMIN_PASSWORD) {
      deps.logger.warn('set both ADMIN_EMAIL and ADMIN_PASSWORD to create the first admin');
    }
    const cleanup = new RefreshTokenCleanup(deps.orm, config, deps.logger);
    cleanup.start();
    deps.onStop(() => cleanup.stop());
    return { tokens, accounts, directory: new UserDirectoryService(deps.orm), cleanup };
  },
});
export type AuthServices = Awaited<ReturnType<typeof authService.setup>>;
