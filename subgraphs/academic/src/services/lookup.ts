import { NotFoundError } from '@ai-teacher/shared';

/** A per-request loader (see loaders.ts). */
export interface Loader<T> {
  load(id: string): Promise<T | null>;
}

/** The record with this id; NOT_FOUND ("No <what> with this id") when there is none. */
export async function existing<T>(loader: Loader<T>, id: string, what: string): Promise<T> {
  const found = await loader.load(id);
  if (!found) throw new NotFoundError(`No ${what} with this id`);
  return found;
}
