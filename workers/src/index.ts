import { createLogger, stopOnSignals } from '@ai-teacher/shared';
import { createWorkers } from '@ai-teacher/shared';
import { workerDefinitions } from './workers.ts';

const logger = createLogger('workers');
try {
  const running = await createWorkers(workerDefinitions());
  stopOnSignals(running, logger);
} catch (err) {
  logger.fatal({ err }, 'workers failed to start');
  process.exit(1);
}
