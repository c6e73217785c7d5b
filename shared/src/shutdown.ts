import { createLogger, type Logger } from './logger.ts';
import { startTracing, stopTracing } from './telemetry.ts';

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
 * non-zero with a logged reason when it cannot start. Tracing starts here when the OTEL_* settings
 * turn it on and telemetry-register.ts did not already start it (then without module patching:
 * the kit's spans and fetch/undici's); stopping flushes the last spans.
 */
export async function runService(name: string, start: () => Promise<{ stop(): Promise<void>; shutdownTimeoutMs?: number }>): Promise<void> {
  const logger = createLogger(name);
  try {
    await startTracing({ serviceName: name, instrument: 'clients' });
    const running = await start();
    const stop = async () => {
      await running.stop();
      await stopTracing().catch((err: unknown) => logger.warn({ err }, 'flushing traces failed'));
    };
    stopOnSignals({ stop }, logger, running.shutdownTimeoutMs ?? 10_000);
  } catch (err) {
    logger.fatal({ err }, `${name} failed to start`);
    process.exit(1);
  }
}
