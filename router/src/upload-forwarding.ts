import type { FileUpload } from '@ai-teacher/shared';
import Upload from 'graphql-upload/Upload.mjs';

// Apollo Gateway sends subgraph requests as JSON, which has no room for files. When the variables
// of a subgraph fetch hold uploads (parsed by graphql-upload from the client's multipart request),
// the request is sent on as a GraphQL multipart request instead
// (https://github.com/jaydenseric/graphql-multipart-request-spec), so the owning subgraph receives
// the file exactly as if the client had called it.

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

/** Builds the multipart body: `operations` with nulls where files go, `map`, then the files. */
export async function multipartBody(
  request: { query?: string; operationName?: string | null; variables?: Record<string, unknown> },
  uploads: { path: Path; upload: Upload }[],
  maxBytes: number,
): Promise<FormData> {
  const variables = structuredClone(
    JSON.parse(JSON.stringify(request.variables ?? {}, (_k, v: unknown) => (v instanceof Upload ? null : v))) as Record<string, unknown>,
  );
  for (const { path } of uploads) setAt(variables, path, null);
  const form = new FormData();
  form.append('operations', JSON.stringify({ query: request.query, operationName: request.operationName ?? undefined, variables }));
  form.append('map', JSON.stringify(Object.fromEntries(uploads.map(({ path }, i) => [String(i), [`variables.${path.join('.')}`]]))));
  for (const [i, { upload }] of uploads.entries()) {
    const file = (await upload.promise) as FileUpload;
    const parts: Buffer[] = [];
    let size = 0;
    for await (const chunk of file.createReadStream()) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) throw Object.assign(new Error('file too large'), { status: 413 });
      parts.push(chunk as Buffer);
    }
    form.append(String(i), new Blob([Buffer.concat(parts)], { type: file.mimetype || 'application/octet-stream' }), file.filename);
  }
  return form;
}
