import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from '@jest/globals';
import { createLogger } from './logger.ts';
import { runInScope } from './request-context.ts';
import {
  contextFromMetadata,
  inSpan,
  injectTraceHeaders,
  startSpan,
  startTracing,
  traceHeaders,
  traceLogFields,
  traceMetadata,
  tracingEnabled,
  tracingSettings,
} from './telemetry.ts';
import { startTestTracing, type TestTracing } from './testing/tracing.ts';

describe('settings', () => {
  it('is off unless an exporter or an OTLP endpoint is named, and OTEL_SDK_DISABLED wins', () => {
    expect(tracingSettings({}).enabled).toBe(false);
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318' }).enabled).toBe(true);
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://tempo:4318/v1/traces' }).enabled).toBe(true);
    expect(tracingSettings({ OTEL_TRACES_EXPORTER: 'console' }).enabled).toBe(true);
    expect(tracingSettings({ OTEL_TRACES_EXPORTER: 'none' }).enabled).toBe(false);
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318', OTEL_SDK_DISABLED: 'true' }).enabled).toBe(false);
  });
});

describe('with tracing off (the default)', () => {
  it('starts nothing, and every helper stays on the no-op path', async () => {
    expect(await startTracing({ serviceName: 'svc', env: { OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_TRACES_EXPORTER: '' } })).toBe(false);
    expect(tracingEnabled()).toBe(false);
    expect(startSpan('x', {})).toBeUndefined();
    let seen: unknown = 'not called';
    expect(await inSpan('x', {}, async (span) => ((seen = span), 7))).toBe(7);
    expect(seen).toBeUndefined();
    const set: string[] = [];
    injectTraceHeaders((name) => set.push(name));
    expect(set).toEqual([]);
    expect(traceHeaders()).toBeUndefined();
    expect(traceMetadata()).toBeUndefined();
    expect(traceLogFields()).toBeUndefined();
    expect(contextFromMetadata('{"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}')).toBe(ROOT_CONTEXT);
    // Only the API's no-op: nothing records.
    expect(trace.getTracer('any').startSpan('y').isRecording()).toBe(false);
  });
});

describe('with tracing on', () => {
  let tracing: TestTracing | undefined;
  afterEach(async () => {
    await tracing?.stop();
    tracing = undefined;
  });

  it('stamps log lines written inside a span with its trace_id and span_id', async () => {
    tracing = await startTestTracing();
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger('svc', 'info', { write: (s: string) => lines.push(JSON.parse(s)) });
    let ids: { traceId: string; spanId: string } | undefined;
    await runInScope({ requestId: 'req-1' }, () =>
      inSpan('work', {}, async (span) => {
        ids = span!.spanContext();
        await new Promise((r) => setTimeout(r, 5));
        logger.info('inside');
      }),
    );
    logger.info('outside');
    await tracing.flush();
    expect(lines[0]).toMatchObject({ requestId: 'req-1', trace_id: ids!.traceId, span_id: ids!.spanId, msg: 'inside' });
    expect(lines[1]!.trace_id).toBeUndefined();
    expect(tracing.spans().map((s) => s.name)).toEqual(['work']);
  });

  it('carries a span context through job metadata and HTTP headers', async () => {
    tracing = await startTestTracing();
    await inSpan('producer', {}, async (span) => {
      const metadata = traceMetadata()!;
      const carried = trace.getSpanContext(contextFromMetadata(metadata))!;
      expect(carried.traceId).toBe(span!.spanContext().traceId);
      expect(carried.spanId).toBe(span!.spanContext().spanId);
      const headers: Record<string, string> = {};
      injectTraceHeaders((name, value) => (headers[name] = value));
      expect(headers.traceparent).toBe(`00-${span!.spanContext().traceId}-${span!.spanContext().spanId}-01`);
    });
    await tracing.stop();
    tracing = undefined;
    expect(tracingEnabled()).toBe(false);
  });
});
