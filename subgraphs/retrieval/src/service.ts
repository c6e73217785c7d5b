import { defineService, notifyQueue, OutboxRelay } from '@ai-teacher/shared';
import { retrievalConfigSchema } from './config.ts';
import { ingestBookQueue } from './contracts.ts';
import { ormDefinition } from './database.ts';
import { retrievalOutbox } from './repositories/ingestion.repository.ts';
import { createRetrievalRuntime } from './runtime.ts';
import { InternalSearchService } from './services/search.service.ts';

/** Storage, embeddings, vectors and scope, shared by the retrieval subgraph and its workers. */
export const retrievalService = defineService({
  name: 'retrieval',
  config: retrievalConfigSchema,
  orm: ormDefinition,
  setup(deps) {
    const runtime = createRetrievalRuntime(deps);
    // Moves committed events (BOOK_READY, BOOK_FAILED) to the notify queue: kicked by the ingest
    // job after its commit, and on a timer for anything a crashed process left behind.
    const relay = new OutboxRelay({ outbox: retrievalOutbox, orm: deps.orm, producer: deps.producer(notifyQueue), logger: deps.logger, intervalMs: deps.config.OUTBOX_RELAY_INTERVAL_MS });
    relay.start();
    deps.onStop(() => relay.stop());
    return {
      runtime,
      relay,
      orm: deps.orm,
      // Opened on first use: worker processes never enqueue ingestions.
      ingestions: () => deps.producer(ingestBookQueue),
      internalSearch: new InternalSearchService(deps.orm, runtime),
    };
  },
});
export type RetrievalServices = Awaited<ReturnType<typeof retrievalService.setup>>;
