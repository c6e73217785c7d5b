import { defineService } from '@ai-teacher/shared';
import { retrievalConfigSchema } from './config.ts';
import { ingestBookQueue } from './contracts.ts';
import { ormDefinition } from './database.ts';
import { createRetrievalRuntime } from './runtime.ts';
import { InternalSearchService } from './services/search.service.ts';

/** Storage, embeddings, vectors and scope, shared by the retrieval subgraph and its workers. */
export const retrievalService = defineService({
  name: 'retrieval',
  config: retrievalConfigSchema,
  orm: ormDefinition,
  setup(deps) {
    const runtime = createRetrievalRuntime(deps);
    return {
      runtime,
      orm: deps.orm,
      // Opened on first use: worker processes never enqueue ingestions.
      ingestions: () => deps.producer(ingestBookQueue),
      internalSearch: new InternalSearchService(deps.orm, runtime),
    };
  },
});
export type RetrievalServices = Awaited<ReturnType<typeof retrievalService.setup>>;
