import { pino, type DestinationStream, type Logger } from 'pino';
import { currentScope } from './request-context.ts';
import { traceLogFields } from './telemetry.ts';

export type { Logger };

/**
 * JSON logs to stdout (or `destination`). Every line written while a request or job is running
 * carries its request id (and user or job id) without passing loggers around, and, when tracing is
 * on, the `trace_id` and `span_id` of the span it was written in.
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
      const traced = traceLogFields();
      if (!scope) return traced ?? {};
      const out: Record<string, string> = { requestId: scope.requestId };
      if (scope.userId) out.userId = scope.userId;
      if (scope.jobId) out.jobId = scope.jobId;
      return traced ? Object.assign(out, traced) : out;
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
