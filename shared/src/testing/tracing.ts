// Tracing for tests: the kit's spans (and fetch/undici's, if asked) go to memory instead of a collector.
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { startTracing, stopTracing, type StartTracingOptions } from '../telemetry.ts';

export type { ReadableSpan };

export interface TestTracing {
  /** Every span ended so far. */
  spans(): ReadableSpan[];
  reset(): void;
  /** Waits for ended spans to reach `spans()` (export can wait for the resource's detectors). */
  flush(): Promise<void>;
  /** Turns tracing off again (the process-wide SDK is shut down). */
  stop(): Promise<void>;
}

/**
 * Starts the SDK with an in-memory exporter. Jest runs modules in its own VM, where module
 * patching cannot reach: the default `instrument: 'none'` tests the kit's own spans and trace
 * headers, which is what such processes rely on.
 */
export async function startTestTracing(opts: { instrument?: StartTracingOptions['instrument'] } = {}): Promise<TestTracing> {
  const exporter = new InMemorySpanExporter();
  const processor = new SimpleSpanProcessor({ exporter });
  await startTracing({ serviceName: 'test', spanProcessors: [processor], instrument: opts.instrument ?? 'none' });
  return {
    spans: () => exporter.getFinishedSpans(),
    reset: () => exporter.reset(),
    flush: () => processor.forceFlush(),
    stop: async () => {
      await stopTracing();
      exporter.reset();
    },
  };
}
