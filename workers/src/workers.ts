import type { WorkerDefinition } from '@ai-teacher/shared';

/**
 * Every queue consumer this process runs. Each feature adds its `create<Name>Worker()` here
 * (ingest-book, generate-exam, deliver-notification as they land).
 */
export function workerDefinitions(): WorkerDefinition<never>[] {
  return [];
}
