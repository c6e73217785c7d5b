import type { Env, WorkerDefinition } from '@ai-teacher/shared';
import { createRetrievalWorkers } from '@ai-teacher/retrieval/worker';

/**
 * Every queue consumer this process runs. Each feature adds its `create<Name>Worker()` here
 * (generate-exam and deliver-notification as they land).
 */
export async function workerDefinitions(env: Env = {}): Promise<WorkerDefinition<never>[]> {
  return [...(await createRetrievalWorkers(env))];
}
