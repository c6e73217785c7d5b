import { createLogger, type Logger } from './logger.ts';

/**
 * For a process's entry point: stops `target` on SIGTERM/SIGINT, and exits non-zero if stopping
 * takes longer than the timeout.
 */
export function stopOnSignals(target: { stop(): Promise<void> }, logger: Logger, timeoutMs = 10_000): void {
  let stopping = false;
  // Ctrl-C reaches every process of the group and `npm start` forwards it too: repeated signals
  // must not cut a graceful shutdown short, so they are ignored once stopping has begun.
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'signal received');
    const timer = setTimeout(() => {
      logger.error('graceful shutdown timed out');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    target.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}

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
