// Answers a request before it reaches Apollo Server (body limits, the import route's gate, persisted
// operations), in the shape every GraphQL client already reads: `{ errors: [{ message, extensions:
// { code } }] }` with a matching HTTP status, never Express's HTML error page.
import type { Response } from 'express';

export function refuseRequest(res: Response, status: number, code: string, message: string, opts: { extensions?: Record<string, unknown>; close?: boolean; headers?: Record<string, string> } = {}): void {
  // The body was not (all) read: close the connection rather than read the rest of it.
  if (opts.close) res.setHeader('connection', 'close');
  for (const [name, value] of Object.entries(opts.headers ?? {})) res.setHeader(name, value);
  res.status(status).json({ errors: [{ message, extensions: { code, ...opts.extensions } }] });
}

/** 262144 → "256 KB", 10485760 → "10 MB" (1 KB = 1024 bytes, as in the settings). */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / 1024 / 1024} MB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KB`;
  return `${bytes} bytes`;
}
