import { createLogger, stopOnSignals } from '@ai-teacher/shared';
import { startAcademicSubgraph } from './subgraph.ts';

const logger = createLogger('academic');
try {
  const running = await startAcademicSubgraph();
  stopOnSignals(running, running.deps.logger, running.deps.config.SHUTDOWN_TIMEOUT_MS);
} catch (err) {
  logger.fatal({ err }, 'academic subgraph failed to start');
  process.exit(1);
}
