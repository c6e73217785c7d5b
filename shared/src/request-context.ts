import { AsyncLocalStorage } from 'node:async_hooks';

/** What every log line and downstream call of one request or job should carry. */
export interface RequestScope {
  requestId: string;
  userId?: string | undefined;
  jobId?: string | undefined;
}

const storage = new AsyncLocalStorage<RequestScope>();

export function runInScope<T>(scope: RequestScope, fn: () => T): T {
  return storage.run(scope, fn);
}

export function currentScope(): RequestScope | undefined {
  return storage.getStore();
}
