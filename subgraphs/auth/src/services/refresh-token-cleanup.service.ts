import type { Logger, MikroORM } from '@ai-teacher/shared';
import type { AuthConfig } from '../config.ts';
import { RefreshTokenRepository } from '../repositories/refresh-token.repository.ts';

/**
 * Deletes refresh-token rows that can no longer be used (expired, revoked, or of a sign-in past
 * REFRESH_FAMILY_MAX_AGE): once at start-up and every REFRESH_TOKEN_CLEANUP_INTERVAL_SECONDS, at
 * most REFRESH_TOKEN_CLEANUP_MAX_ROWS rows per run. Replicas may run it at the same time: each
 * skips the rows another has locked.
 */
export class RefreshTokenCleanup {
  private readonly orm: MikroORM;
  private readonly config: AuthConfig;
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(orm: MikroORM, config: AuthConfig, logger: Logger) {
    this.orm = orm;
    this.config = config;
    this.logger = logger.child({ component: 'refresh-token-cleanup' });
  }

  /** One run; resolves to the number of rows deleted. */
  async runOnce(): Promise<number> {
    const tooOld = new Date(Date.now() - this.config.REFRESH_FAMILY_MAX_AGE * 1000);
    const deleted = await new RefreshTokenRepository(this.orm.em.fork()).deleteUnusable(tooOld, this.config.REFRESH_TOKEN_CLEANUP_MAX_ROWS);
    if (deleted) this.logger.info({ deleted, more: deleted >= this.config.REFRESH_TOKEN_CLEANUP_MAX_ROWS }, 'deleted unusable refresh tokens');
    return deleted;
  }

  /** Runs now (without delaying start-up) and then periodically, until `stop()`. */
  start(): void {
    const tick = () => {
      if (this.running) return;
      this.running = this.runOnce()
        .catch((err: unknown) => {
          this.logger.error({ err }, 'refresh token clean-up failed');
          return 0;
        })
        .finally(() => (this.running = undefined));
    };
    tick();
    this.timer = setInterval(tick, this.config.REFRESH_TOKEN_CLEANUP_INTERVAL_SECONDS * 1000);
    this.timer.unref();
  }

  /** Stops the schedule and waits for a run in progress (before the database closes). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
