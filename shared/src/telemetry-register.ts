// Tracing with auto-instrumentation, for a process started as
//   node --import ./shared/src/telemetry-register.ts subgraphs/<name>/src/index.ts
// (or NODE_OPTIONS="--import /app/shared/src/telemetry-register.ts"). ES modules can only be
// patched through a loader hook registered before they load: this registers import-in-the-middle's
// hook — limited to the modules the instrumentations patch — and starts the SDK with http,
// express, undici, pg, ioredis and graphql, before the app's imports run. With tracing off (the
// default: no OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_TRACES_EXPORTER) it loads nothing and patches nothing.
import { register } from 'node:module';
import { basename, dirname } from 'node:path';
import { startTracing, tracingSettings } from './telemetry.ts';

if (tracingSettings().enabled) {
  const { createAddHookMessageChannel } = await import('import-in-the-middle');
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);
  await startTracing({ serviceName: processName(process.argv[1] ?? ''), instrument: 'all' });
  await waitForAllMessagesAcknowledged();
}

/** subgraphs/tutor/src/index.ts → tutor, router/src/index.ts → router, workers/src/index.ts → workers. */
function processName(entry: string): string {
  const dir = dirname(entry);
  return basename(basename(dir) === 'src' ? dirname(dir) : dir) || 'ai-teacher';
}
