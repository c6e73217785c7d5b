import { pino, type DestinationStream, type Logger } from 'pino';
import { currentScope } from './request-context.ts';

export type { Logger };

/**
 * JSON logs to stdout (or `destination`). Every line written while a request or job is running
 * carries its request id (and user or job id) without passing loggers around.
 */
export function createLogger(name: string, level = 'info', destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    name,
    level,
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: {
      paths: ['password', '*.password', 'input.password', 'refreshToken', '*.refreshToken', 'headers.authorization'],
      censor: '[redacted]',
    },
    mixin() {
      const scope = currentScope();
      if (!scope) return {};
      const out: Record<string, string> = { requestId: scope.requestId };
      if (scope.userId) out.userId = scope.userId;
      if (scope.jobId) out.jobId = scope.jobId;
      return out;
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
