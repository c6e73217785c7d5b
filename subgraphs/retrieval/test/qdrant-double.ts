// A local HTTP stand-in for the parts of Qdrant's REST API the qdrant vector store uses. It keeps
// points in memory, answers like Qdrant does, and records every request so tests can check what a
// real Qdrant would have received (sharding, tenant indexes, wait: true, scope filters).
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

type Payload = Record<string, string>;
interface Point { id: string; vector: number[]; payload: Payload }
interface Condition { key: string; match: { value: string } }
interface Filter { must?: Condition[]; must_not?: Condition[] }

export interface RecordedRequest { method: string; path: string; query: URLSearchParams; body: unknown }

export class QdrantDouble {
  readonly requests: RecordedRequest[] = [];
  readonly collections = new Map<string, { config: Record<string, unknown>; points: Map<string, Point>; indexes: Map<string, unknown> }>();
  private server: Server | undefined;
  url = '';

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      void this.handle(req).then(
        ([status, body]) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        },
        (err: Error) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ status: { error: err.message } }));
        },
      );
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server?.close(() => r()));
  }

  private async handle(req: IncomingMessage): Promise<[number, unknown]> {
    const url = new URL(req.url!, 'http://x');
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
    this.requests.push({ method: req.method!, path: url.pathname, query: url.searchParams, body });
    const ok = (result: unknown): [number, unknown] => [200, { result, status: 'ok', time: 0.001 }];
    const m = /^\/collections\/([^/]+)(\/.*)?$/.exec(url.pathname);
    if (!m) return [404, { status: { error: 'not found' } }];
    const [, name, rest = ''] = m;
    const col = this.collections.get(name!);
    if (req.method === 'GET' && rest === '/exists') return ok({ exists: Boolean(col) });
    if (req.method === 'PUT' && rest === '') {
      if (col) return [409, { status: { error: `Collection ${name} already exists` } }];
      this.collections.set(name!, { config: body!, points: new Map(), indexes: new Map() });
      return ok(true);
    }
    if (!col) return [404, { status: { error: `Collection ${name} doesn't exist` } }];
    if (req.method === 'PUT' && rest === '/index') {
      col.indexes.set(String(body!.field_name), body!.field_schema);
      return ok({ operation_id: 1, status: 'completed' });
    }
    if (req.method === 'PUT' && rest === '/points') {
      for (const p of body!.points as Point[]) col.points.set(String(p.id), p);
      return ok({ operation_id: 2, status: url.searchParams.get('wait') === 'true' ? 'completed' : 'acknowledged' });
    }
    if (req.method === 'POST' && rest === '/points/delete') {
      for (const [id, p] of col.points) if (matches(p.payload, body!.filter as Filter)) col.points.delete(id);
      return ok({ operation_id: 3, status: 'completed' });
    }
    if (req.method === 'POST' && rest === '/points/query') {
      const q = body!.query as number[];
      const hits = [...col.points.values()]
        .filter((p) => matches(p.payload, body!.filter as Filter | undefined))
        .map((p) => ({ id: p.id, version: 1, score: cosine(q, p.vector) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, Number(body!.limit ?? 10));
      return ok({ points: hits });
    }
    return [404, { status: { error: `unsupported ${req.method} ${url.pathname}` } }];
  }
}

function matches(payload: Payload, filter: Filter | undefined): boolean {
  if (!filter) return true;
  return (filter.must ?? []).every((c) => payload[c.key] === c.match.value) && !(filter.must_not ?? []).some((c) => payload[c.key] === c.match.value);
}

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  a.forEach((x, i) => {
    dot += x * b[i]!;
    na += x * x;
    nb += b[i]! * b[i]!;
  });
  return dot / (Math.sqrt(na * nb) || 1);
}
