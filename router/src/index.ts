import { createLogger, stopOnSignals } from '@ai-teacher/shared';
import { startRouter } from './router.ts';

const logger = createLogger('router');
try {
  const running = await startRouter();
  stopOnSignals(running, running.logger, running.config.SHUTDOWN_TIMEOUT_MS);
} catch (err) {
  logger.fatal({ err }, 'router failed to start');
  process.exit(1);
}
