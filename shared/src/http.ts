import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Metrics } from './metrics.ts';

export type ReadinessCheck = () => Promise<Record<string, boolean>>;

/**
 * `/health` (the process is alive), `/ready` (it can serve: its dependencies answer and it is not
 * shutting down) and `/metrics` (Prometheus), the same on every process.
 */
/** `/health`, `/ready` and (unless `metricsElsewhere`: see `mountMetrics`) `/metrics`. */
export function mountOps(app: Express, opts: { metrics: Metrics; ready: ReadinessCheck; isShuttingDown: () => boolean; metricsElsewhere?: boolean }): void {
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/ready', async (_req, res) => {
    const checks = await opts.ready();
    const ok = !opts.isShuttingDown() && Object.values(checks).every(Boolean);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'unavailable', shuttingDown: opts.isShuttingDown(), checks });
  });
  if (!opts.metricsElsewhere) mountMetrics(app, opts.metrics);
}

/** Prometheus `/metrics`. */
export function mountMetrics(app: Express, metrics: Metrics): void {
  app.get('/metrics', async (_req, res) => {
    res.set('content-type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });
}

/** Records request durations by route (never by raw URL, which would explode label cardinality). */
export function httpMetricsMiddleware(metrics: Metrics) {
  return (req: Request, res: Response, next: NextFunction) => {
    const end = metrics.httpDuration.startTimer();
    res.on('finish', () => {
      // originalUrl: by now a mounted middleware (app.use('/graphql', …)) may have rewritten req.url.
      const path = req.originalUrl.split('?', 1)[0]!;
      const route = ['/graphql', '/health', '/ready', '/metrics'].includes(path) ? path : 'other';
      end({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
}

export function baseApp(trustProxy: string): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', parseTrustProxy(trustProxy));
  return app;
}

function parseTrustProxy(value: string): boolean | number | string {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}

export async function listen(server: Server, port: number, host: string): Promise<string> {
  server.listen(port, host);
  await once(server, 'listening');
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return `http://${shownHost}:${addr.port}`;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** A client-supplied request id is kept when it is short and plain, so traces can be joined up. */
export function sanitizeRequestId(value: string | undefined, fallback: () => string): string {
  return value && REQUEST_ID.test(value) ? value : fallback();
}
