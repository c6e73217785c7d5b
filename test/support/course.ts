// Course material and subscriptions for end-to-end tests: users with a role, book uploads through
// the router (GraphQL multipart), waiting for ingestion, and graphql-ws subscriptions.
import { createClient, type Client } from 'graphql-ws';
import { WebSocket } from 'ws';
import type { GraphQLResponse } from '@ai-teacher/shared/testing';
import { newEmail, REFRESH, registerUser, SET_ROLE, type Session, type Stack } from './stack.ts';

export const INGESTION = `query($c: ID!) { course(id: $c) { books { id title ingestion { status progress pageCount chunkCount error } } } }`;

/** A GraphQL multipart request, as web and mobile clients send it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function uploadBook(stack: Pick<Stack, 'routerUrl'>, bookId: string, bytes: Buffer, filename: string, token?: string): Promise<GraphQLResponse<any>> {
  const form = new FormData();
  form.append('operations', JSON.stringify({ query: 'mutation($b: ID!, $f: Upload!) { uploadBookFile(bookId: $b, file: $f) { status progress error fileName fileSize } }', variables: { b: bookId, f: null } }));
  form.append('map', JSON.stringify({ 0: ['variables.f'] }));
  form.append('0', new Blob([bytes], { type: 'application/pdf' }), filename);
  const res = await fetch(stack.routerUrl, { method: 'POST', body: form, headers: { 'apollo-require-preflight': 'true', ...(token ? { authorization: `Bearer ${token}` } : {}) } });
  return { status: res.status, headers: res.headers, ...((await res.json()) as object) };
}

export async function waitForIngestion(stack: Pick<Stack, 'query'>, adminToken: string, courseId: string, bookId: string, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await stack.query(INGESTION, { c: courseId }, adminToken);
    const ing = res.data!.course.books.find((b: { id: string }) => b.id === bookId).ingestion;
    if (ing && (ing.status === 'READY' || ing.status === 'FAILED')) return ing;
    if (Date.now() > deadline) throw new Error(`ingestion still ${JSON.stringify(ing)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A new user with the role (teachers sign in again to get a token with the new role). */
export async function userWithRole(stack: Stack, admin: Session, role: 'STUDENT' | 'TEACHER'): Promise<{ id: string; token: string }> {
  const u = await registerUser(stack, newEmail(role.toLowerCase()));
  if (role === 'STUDENT') return { id: u.user.id, token: u.accessToken };
  const set = await stack.query(SET_ROLE, { userId: u.user.id, role }, admin.accessToken);
  if (set.errors) throw new Error(JSON.stringify(set.errors));
  const refreshed = await stack.query<{ refreshToken: Session }>(REFRESH, { token: u.refreshToken });
  return { id: u.user.id, token: refreshed.data!.refreshToken.accessToken };
}

/** A graphql-ws client for the router's endpoint (no retries: tests see every close). */
export function wsClient(httpUrl: string, token?: string): Client {
  return createClient({
    url: httpUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
  });
}

/** Collects a subscription's results until it completes (or `stop` says so). */
export async function collect<T = Record<string, unknown>>(
  client: Client,
  query: string,
  variables: Record<string, unknown>,
  stop: (results: GraphQLResponse<T>[]) => boolean = () => false,
  timeoutMs = 30_000,
): Promise<GraphQLResponse<T>[]> {
  const results: GraphQLResponse<T>[] = [];
  const it = client.iterate<T>({ query, variables });
  const timer = setTimeout(() => void it.return?.(), timeoutMs);
  try {
    for await (const r of it) {
      results.push(r as GraphQLResponse<T>);
      if (stop(results)) break;
    }
  } finally {
    clearTimeout(timer);
  }
  return results;
}
