import { createLogger, stopOnSignals } from '@ai-teacher/shared';
import { startAuthSubgraph } from './subgraph.ts';

const logger = createLogger('auth');
try {
  const running = await startAuthSubgraph();
  stopOnSignals(running, running.deps.logger, running.deps.config.SHUTDOWN_TIMEOUT_MS);
} catch (err) {
  logger.fatal({ err }, 'auth subgraph failed to start');
  process.exit(1);
}
