// Tracing with OpenTelemetry, off by default and cheap when off: until `startTracing` finds it
// enabled, only `@opentelemetry/api` is loaded (its no-op), and every helper here returns before
// touching it — no SDK, no instrumentation patches, no trace headers.
//
// What is traced, and how context crosses each hop (README, "Tracing"):
// - the kit's own spans (always, whatever could be patched): the router's request span with the
//   GraphQL operation, one client span per subgraph fetch, one server span per subgraph or internal
//   request, one client span per internal call, producer and consumer spans per BullMQ job, and
//   the tutor's and retrieval's model calls (LLM, embeddings);
// - auto-instrumentation (http, express, undici/fetch, pg, ioredis, graphql) only where modules can
//   be patched: a process started with `--import ./shared/src/telemetry-register.ts`;
// - W3C `traceparent` in HTTP headers (router → subgraphs, internal calls, model calls) and in a
//   job's `opts.telemetry.metadata` (BullMQ's own field for it) from producer to worker.
import type { IncomingHttpHeaders } from 'node:http';
import {
  type Attributes,
  type Context,
  context,
  createContextKey,
  INVALID_SPAN_CONTEXT,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  type SpanOptions,
  SpanStatusCode,
  trace,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { type Env, loadConfig, zc } from './config.ts';

export { SpanKind };
export type { Span };

/** The OTEL_* settings the kit reads itself (the SDK reads the rest: sampler, headers, resource…). */
export const tracingSchema = z.object({
  /** `true` turns tracing off even where the settings below would turn it on. */
  OTEL_SDK_DISABLED: zc.bool.default(false),
  /** Where spans go (OTLP over HTTP, e.g. http://otel-collector:4318); setting it turns tracing on. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url().optional(),
  /** `otlp` or `console` turn tracing on too (`none`: off). */
  OTEL_TRACES_EXPORTER: z.string().optional(),
  OTEL_SERVICE_NAME: z.string().optional(),
});

/** Whether these settings turn tracing on: an exporter is named or an OTLP endpoint is set, and the SDK is not disabled. */
export function tracingSettings(env: Env = {}): { enabled: boolean; serviceName: string | undefined } {
  const c = loadConfig(tracingSchema, env);
  const exporters = (c.OTEL_TRACES_EXPORTER ?? '').split(',').map((s) => s.trim()).filter((s) => s && s !== 'none');
  const enabled = !c.OTEL_SDK_DISABLED && (exporters.length > 0 || !!c.OTEL_EXPORTER_OTLP_ENDPOINT || !!c.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  return { enabled, serviceName: c.OTEL_SERVICE_NAME };
}

/** The process's tracing, once started: kept on globalThis so every copy of this module agrees. */
interface TracingState {
  /** HTTP clients are instrumented (undici/fetch add `traceparent` themselves): the kit adds none, or they would be sent twice. */
  autoPropagation: boolean;
  /** Incoming HTTP requests get the instrumentation's span, which already continued the caller's trace. */
  httpServerSpans: boolean;
  tracer: Tracer;
  shutdown(): Promise<void>;
}
const STATE = Symbol.for('ai-teacher.tracing');
type Holder = { [STATE]?: TracingState };
const state = (): TracingState | undefined => (globalThis as Holder)[STATE];

/** Is tracing on in this process? Everything below checks this first. */
export function tracingEnabled(): boolean {
  return (globalThis as Holder)[STATE] !== undefined;
}

export interface StartTracingOptions {
  /** OTEL_SERVICE_NAME wins when set. */
  serviceName: string;
  env?: Env;
  /**
   * Tests: these processors instead of the exporters the OTEL_* settings name (tracing is then on
   * whatever the settings say).
   */
  spanProcessors?: SpanProcessor[];
  /**
   * Which instrumentations to register: `all` (module patching: only works when the loader hook
   * was registered before the app's modules loaded, i.e. from telemetry-register.ts), `clients`
   * (undici/fetch only: diagnostics channels, which need no patching) or `none` (the kit's spans).
   */
  instrument?: 'all' | 'clients' | 'none';
}

/**
 * Starts the OpenTelemetry Node SDK for this process when the OTEL_* settings turn it on (or the
 * caller passes span processors); a second call keeps the first's. Returns whether tracing is on.
 */
export async function startTracing(opts: StartTracingOptions): Promise<boolean> {
  if (tracingEnabled()) return true;
  const settings = tracingSettings(opts.env);
  if (!opts.spanProcessors && !settings.enabled) return false;
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const instrument = opts.instrument ?? 'clients';
  const instrumentations = instrument === 'none' ? [] : await loadInstrumentations(instrument);
  const sdk = new NodeSDK({
    ...(settings.serviceName ? {} : { serviceName: opts.serviceName }),
    ...(opts.spanProcessors ? { spanProcessors: opts.spanProcessors } : {}),
    instrumentations,
    // Metrics are Prometheus (/metrics) and logs are pino on stdout: only traces go to OpenTelemetry.
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  for (const i of instrumentations) if (i.instrumentationName.endsWith('-graphql')) i.setTracerProvider(parentOnly(trace.getTracerProvider()));
  (globalThis as Holder)[STATE] = {
    autoPropagation: instrument !== 'none',
    httpServerSpans: instrument === 'all',
    tracer: trace.getTracer('ai-teacher'),
    shutdown: async () => {
      delete (globalThis as Holder)[STATE];
      await sdk.shutdown();
      for (const i of instrumentations) i.disable();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
  return true;
}

/** Flushes and stops tracing (at shutdown; tests turn it off again with it). */
export async function stopTracing(): Promise<void> {
  await state()?.shutdown();
}

const OPS_PATHS = new Set(['/health', '/ready', '/metrics']);

async function loadInstrumentations(which: 'all' | 'clients') {
  const { UndiciInstrumentation } = await import('@opentelemetry/instrumentation-undici');
  const undici = new UndiciInstrumentation();
  if (which === 'clients') return [undici];
  const [{ HttpInstrumentation }, { ExpressInstrumentation }, { PgInstrumentation }, { IORedisInstrumentation }, { GraphQLInstrumentation }] = await Promise.all([
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-express'),
    import('@opentelemetry/instrumentation-pg'),
    import('@opentelemetry/instrumentation-ioredis'),
    import('@opentelemetry/instrumentation-graphql'),
  ]);
  return [
    undici,
    new HttpInstrumentation({
      // Probes and scrapes are not worth a trace each; outgoing calls are undici's (fetch).
      ignoreIncomingRequestHook: (req) => OPS_PATHS.has((req.url ?? '').split('?')[0]!),
      ignoreOutgoingRequestHook: () => false,
    }),
    // Route spans name the HTTP span's route; a span per middleware would be noise.
    new ExpressInstrumentation({ ignoreLayersType: ['middleware' as never] }),
    new PgInstrumentation({ requireParentSpan: true }),
    new IORedisInstrumentation({ requireParentSpan: true }),
    // Field spans for every resolver would drown a trace: only parse/validate/execute and the root fields.
    new GraphQLInstrumentation({ depth: 1, mergeItems: true, ignoreTrivialResolveSpans: true }),
  ];
}

/**
 * graphql-js also parses and validates outside requests (every schema at start-up, the query
 * planner): only spans inside a request are worth recording, the others would each be a trace.
 */
function parentOnly(provider: TracerProvider): TracerProvider {
  return {
    getTracer(name, version, options) {
      const inner = provider.getTracer(name, version, options);
      return {
        startSpan: (spanName, spanOptions, ctx = context.active()) =>
          trace.getSpan(ctx) ? inner.startSpan(spanName, spanOptions, ctx) : trace.wrapSpanContext(INVALID_SPAN_CONTEXT),
        startActiveSpan: inner.startActiveSpan.bind(inner),
      } as Tracer;
    },
  };
}

/** The kit's spans carry the process part that made them (one process may run several: tests, `npm start` does not). */
export const SERVICE_ATTRIBUTE = 'ai_teacher.service';

/** Starts a span (undefined when tracing is off) as a child of `parent` (default: the active context). */
export function startSpan(name: string, options: SpanOptions, parent?: Context): { span: Span; ctx: Context } | undefined {
  const s = state();
  if (!s) return undefined;
  const base = parent ?? context.active();
  const span = s.tracer.startSpan(name, options, base);
  return { span, ctx: trace.setSpan(base, span) };
}

/** Runs `fn` inside a new span (ended when `fn` settles; a throw marks it failed). With tracing off, just runs `fn`. */
export async function inSpan<T>(name: string, options: SpanOptions, fn: (span: Span | undefined) => Promise<T>, parent?: Context): Promise<T> {
  const started = startSpan(name, options, parent);
  if (!started) return fn(undefined);
  try {
    return await context.with(started.ctx, () => fn(started.span));
  } catch (err) {
    failSpan(started.span, err);
    throw err;
  } finally {
    started.span.end();
  }
}

/** Runs `fn` with `ctx` active (a started span's), or as is when tracing is off. */
export function withSpanContext<T>(ctx: Context | undefined, fn: () => T): T {
  return ctx ? context.with(ctx, fn) : fn();
}

export function failSpan(span: Span | undefined, err: unknown): void {
  if (!span) return;
  const message = err instanceof Error ? err.message : String(err);
  span.recordException(err instanceof Error ? err : message);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}

/**
 * Adds `traceparent` (and `tracestate`) of the active span to an outgoing HTTP request's headers,
 * unless tracing is off or the HTTP client is instrumented (which adds them itself).
 */
export function injectTraceHeaders(set: (name: string, value: string) => void): void {
  const s = state();
  if (!s || s.autoPropagation) return;
  propagation.inject(context.active(), undefined, { set: (_carrier, name, value) => set(name, value) });
}

/** The headers `injectTraceHeaders` would add, for clients that take a headers object (the openai SDK). */
export function traceHeaders(): Record<string, string> | undefined {
  const s = state();
  if (!s || s.autoPropagation) return undefined;
  const out: Record<string, string> = {};
  propagation.inject(context.active(), out);
  return out;
}

/** The active span's context as text (W3C trace context), for a queued job: no HTTP client carries it there. */
export function traceMetadata(): string | undefined {
  if (!tracingEnabled()) return undefined;
  const out: Record<string, string> = {};
  propagation.inject(context.active(), out);
  return out.traceparent ? JSON.stringify(out) : undefined;
}

/** The context a job's `traceMetadata` came from (a new trace when it has none or tracing is off). */
export function contextFromMetadata(metadata: string | undefined): Context {
  if (!metadata || !tracingEnabled()) return ROOT_CONTEXT;
  try {
    return propagation.extract(ROOT_CONTEXT, JSON.parse(metadata) as Record<string, string>);
  } catch {
    return ROOT_CONTEXT;
  }
}

/** A link to the span a job's or answer's `traceMetadata` came from (for work that starts a trace of its own). */
export function linkFromMetadata(metadata: string | null | undefined): Link | undefined {
  const sc = trace.getSpanContext(contextFromMetadata(metadata ?? undefined));
  return sc && trace.isSpanContextValid(sc) ? { context: sc } : undefined;
}

/** The trace context an incoming HTTP request carries. */
export function contextFromHeaders(headers: IncomingHttpHeaders): Context {
  return propagation.extract(ROOT_CONTEXT, headers);
}

/** `trace_id` and `span_id` of the active span, for log lines (nothing when tracing is off). */
export function traceLogFields(): { trace_id: string; span_id: string } | undefined {
  if (!tracingEnabled()) return undefined;
  const sc = trace.getSpan(context.active())?.spanContext();
  if (!sc || !trace.isSpanContextValid(sc)) return undefined;
  return { trace_id: sc.traceId, span_id: sc.spanId };
}

/**
 * Express middleware: one SERVER span per request (probes and scrapes aside), continuing the
 * caller's trace from its `traceparent`, active while the request is handled. With HTTP
 * auto-instrumentation on, it is the child of the instrumentation's span, which already continued
 * the caller's trace. The GraphQL operation renames it (`graphqlSpanPlugin`).
 */
export function serverSpans(service: string) {
  return (req: Request, res: Response, next: NextFunction) => {
    const s = state();
    const path = req.originalUrl.split('?')[0]!;
    if (!s || OPS_PATHS.has(path)) return next();
    const parent = s.httpServerSpans ? context.active() : contextFromHeaders(req.headers);
    // Where the HTTP instrumentation already made the SERVER span, this one is its (INTERNAL) child.
    const started = startSpan(`${req.method} ${path}`, {
      kind: s.httpServerSpans ? SpanKind.INTERNAL : SpanKind.SERVER,
      attributes: { [SERVICE_ATTRIBUTE]: service, 'http.request.method': req.method, 'url.path': path },
    }, parent)!;
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      started.span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) started.span.setStatus({ code: SpanStatusCode.ERROR });
      started.span.end();
    };
    res.on('finish', end);
    res.on('close', end);
    context.with(started.ctx.setValue(REQUEST_SPAN, started.span), () => next());
  };
}

/** The span `serverSpans` opened for the request being served (not whatever span is active: express's, graphql's). */
const REQUEST_SPAN = createContextKey('ai-teacher.request-span');

/** Names the active request span after the GraphQL operation (`mutation AskTutor`) and records its errors. */
export function graphqlSpanPlugin() {
  return {
    async requestDidStart() {
      if (!tracingEnabled()) return {};
      const span = context.active().getValue(REQUEST_SPAN) as Span | undefined;
      if (!span) return {};
      return {
        async didResolveOperation({ operation, operationName }: { operation?: { operation: string }; operationName?: string | null }) {
          const type = operation?.operation ?? 'operation';
          span.updateName(`${type}${operationName ? ` ${operationName}` : ''}`);
          const attributes: Attributes = { 'graphql.operation.type': type };
          if (operationName) attributes['graphql.operation.name'] = operationName;
          span.setAttributes(attributes);
        },
        async didEncounterErrors({ errors }: { errors: readonly { message: string; extensions?: Record<string, unknown> }[] }) {
          const codes = [...new Set(errors.map((e) => String(e.extensions?.code ?? 'INTERNAL')))];
          span.setAttribute('graphql.error.codes', codes);
          if (codes.includes('INTERNAL')) span.setStatus({ code: SpanStatusCode.ERROR, message: errors[0]?.message ?? 'error' });
        },
      };
    },
  };
}
