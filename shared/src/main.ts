import { createLogger } from './logger.ts';
import { stopOnSignals } from './subgraph.ts';

/**
 * Entry point of a service process: starts it, stops it gracefully on SIGTERM/SIGINT, and exits
 * non-zero with a logged reason when it cannot start.
 */
export async function runService(name: string, start: () => Promise<{ stop(): Promise<void>; shutdownTimeoutMs?: number }>): Promise<void> {
  const logger = createLogger(name);
  try {
    const running = await start();
    stopOnSignals(running, logger, running.shutdownTimeoutMs ?? 10_000);
  } catch (err) {
    logger.fatal({ err }, `${name} failed to start`);
    process.exit(1);
  }
}
