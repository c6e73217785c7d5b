import { defineWorker, handle } from '@ai-teacher/shared';
import { ingestBookQueue, purgeBookQueue } from './contracts.ts';
import { ingestBook } from './ingest/ingest-book.ts';
import { purgeBook } from './ingest/purge-book.ts';
import { retrievalService } from './service.ts';

/** Retrieval's queue consumers, built from the same service set-up as the subgraph. */
export default defineWorker(retrievalService, [
  // PDF parsing is CPU-bound: one book at a time per worker process; scale with processes.
  handle(ingestBookQueue, (job, s, ctx) => ingestBook(job, { orm: s.orm, runtime: s.runtime, logger: ctx.logger, relay: s.relay }), { concurrency: 1 }),
  handle(purgeBookQueue, (job, s, ctx) => purgeBook(job, { orm: s.orm, runtime: s.runtime, logger: ctx.logger }), { concurrency: 2 }),
]);
