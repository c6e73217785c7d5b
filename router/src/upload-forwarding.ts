import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FileUpload } from '@ai-teacher/shared/core';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { GraphQLError } from 'graphql';
import Upload from 'graphql-upload/Upload.mjs';
import { type Dispatcher, request as httpRequest } from 'undici';

// Apollo Gateway sends subgraph requests as JSON, which has no room for files. When the variables
// of a subgraph fetch hold uploads (parsed by graphql-upload from the client's multipart request),
// the request is sent on as a GraphQL multipart request instead
// (https://github.com/jaydenseric/graphql-multipart-request-spec), so the owning subgraph receives
// the file exactly as if the client had called it.
//
// The file is streamed, never held: each chunk graphql-upload reads from the client goes on to the
// subgraph as it arrives (graphql-upload spools to a temporary file, not to memory), so a 100 MB book
// costs the router a few buffers, and the subgraph starts receiving it while the client still sends.
//
// The multipart body is encoded here (a few lines of the WHATWG multipart/form-data algorithm)
// rather than with a library: FormData/Blob (Node's fetch, undici, formdata-node) and
// form-data-encoder need each file as a Blob/File of known size, which an upload still arriving
// does not have without reading it all first; the `form-data` package streams, but through the
// pre-streams3 combined-stream/delayed-stream pair, where an error in one source does not reliably
// abort the request. With an async generator, an error from the file stream (over the size limit,
// client gone) propagates to undici, which destroys the connection: the subgraph sees an
// incomplete request (no closing boundary, no final chunk) and stores nothing.

type Path = string[];

/** Paths (within `variables`) of every Upload. */
export function findUploads(value: unknown, path: Path = []): { path: Path; upload: Upload }[] {
  if (value instanceof Upload) return [{ path, upload: value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => findUploads(v, [...path, String(i)]));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => findUploads(v, [...path, k]));
  return [];
}

function setAt(target: Record<string, unknown>, path: Path, value: unknown): void {
  let node: Record<string, unknown> = target;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[path.at(-1)!] = value;
}

/** The file went past the size limit while it was being forwarded. */
export class UploadTooLargeError extends Error {
  readonly status: number;
  constructor(maxBytes: number) {
    super(`file: larger than the ${Math.round(maxBytes / 1024 / 1024)} MB limit`);
    this.name = 'UploadTooLargeError';
    this.status = 413;
  }
}

/** Header parameter values as browsers encode them (WHATWG: `"`, CR and LF percent-encoded). */
const quoted = (value: string) => `"${value.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A')}"`;

type GraphQLRequestLike = { query?: string; operationName?: string | null; variables?: Record<string, unknown> };

/**
 * The multipart body, part by part: `operations` with nulls where files go, `map`, then each file
 * as it is read from the client. Throws (and so aborts the request it feeds) when a file ends in
 * an error or passes `maxBytes`; the closing boundary is written only after every file is whole.
 */
export async function* multipartStream(boundary: string, request: GraphQLRequestLike, uploads: { path: Path; upload: Upload }[], maxBytes: number): AsyncGenerator<Buffer> {
  const variables = JSON.parse(JSON.stringify(request.variables ?? {}, (_k, v: unknown) => (v instanceof Upload ? null : v))) as Record<string, unknown>;
  for (const { path } of uploads) setAt(variables, path, null);
  const field = (name: string, value: string) => Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name=${quoted(name)}\r\n\r\n${value}\r\n`);
  yield field('operations', JSON.stringify({ query: request.query, operationName: request.operationName ?? undefined, variables }));
  yield field('map', JSON.stringify(Object.fromEntries(uploads.map(({ path }, i) => [String(i), [`variables.${path.join('.')}`]]))));
  for (const [i, { upload }] of uploads.entries()) {
    const file = (await upload.promise) as FileUpload;
    const type = (file.mimetype || 'application/octet-stream').replace(/[\r\n]/g, '');
    const stream = file.createReadStream();
    yield Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name=${quoted(String(i))}; filename=${quoted(file.filename)}\r\ncontent-type: ${type}\r\n\r\n`);
    let size = 0;
    for await (const chunk of stream) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) throw new UploadTooLargeError(maxBytes);
      yield chunk as Buffer;
    }
    yield Buffer.from('\r\n');
  }
  yield Buffer.from(`--${boundary}--\r\n`);
}

export interface UploadForwarding {
  /** The router's keep-alive pool to the subgraphs. */
  dispatcher: Dispatcher;
  /** UPLOAD_MAX_BYTES, per file. */
  maxBytes: number;
  /** How long the subgraph may take to answer once the whole body has been sent. */
  responseTimeoutMs: number;
}

/**
 * Sends a subgraph fetch whose variables hold uploads as a streamed GraphQL multipart request and
 * returns the subgraph's GraphQL response. `headers` are those `willSendRequest` set (identity and
 * its proof); content type and length are ours. A file over the limit aborts the upstream request
 * and answers BAD_USER_INPUT on `file`.
 */
export async function forwardUpload(
  url: string,
  request: GraphQLRequestLike,
  headers: Iterable<[string, string]>,
  uploads: { path: Path; upload: Upload }[],
  opts: UploadForwarding,
): Promise<GatewayGraphQLResponse> {
  const boundary = `----ai-teacher-${randomBytes(12).toString('hex')}`;
  const outgoing: Record<string, string> = { 'apollo-require-preflight': 'true' };
  for (const [name, value] of headers) {
    const lower = name.toLowerCase();
    if (lower !== 'content-type' && lower !== 'content-length') outgoing[lower] = value;
  }
  outgoing['content-type'] = `multipart/form-data; boundary=${boundary}`;

  // undici's headers timeout runs from the start of the request, and a client may take minutes to
  // send a book: the subgraph's time to answer is counted from the end of the body instead.
  const answered = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  async function* body() {
    yield* multipartStream(boundary, request, uploads, opts.maxBytes);
    timer = setTimeout(() => answered.abort(new Error(`the subgraph did not answer within ${opts.responseTimeoutMs} ms`)), opts.responseTimeoutMs);
    timer.unref();
  }
  try {
    const res = await httpRequest(url, { method: 'POST', headers: outgoing, body: Readable.from(body(), { objectMode: false }), dispatcher: opts.dispatcher, signal: answered.signal, headersTimeout: 0 });
    const text = await res.body.text();
    try {
      return JSON.parse(text) as GatewayGraphQLResponse;
    } catch {
      throw new GraphQLError(`The subgraph answered HTTP ${res.statusCode} without a GraphQL response`, { extensions: { code: 'INTERNAL' } });
    }
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (status === 413) throw new GraphQLError(new UploadTooLargeError(opts.maxBytes).message, { extensions: { code: 'BAD_USER_INPUT', field: 'file' } });
    // graphql-upload's own errors (client disconnected: 499, malformed part: 400): the request was
    // aborted upstream, nothing was stored.
    if (status && status >= 400 && status < 500) throw new GraphQLError(`file: the upload did not complete (${(err as Error).message})`, { extensions: { code: 'BAD_USER_INPUT', field: 'file' } });
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
