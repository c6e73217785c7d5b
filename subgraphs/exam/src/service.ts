import { CourseScopeClient } from '@ai-teacher/academic/contracts';
import { defineService, notifyQueue, OutboxRelay } from '@ai-teacher/shared';
import { RetrievalClient } from '@ai-teacher/retrieval/contracts';
import { LRUCache } from 'lru-cache';
import { examConfigSchema } from './config.ts';
import { generateExamQueue, gradeAttemptQueue, submitAttemptQueue } from './contracts.ts';
import { ormDefinition } from './database.ts';
import { LlmExamSource, LlmGrader } from './generation/llm.ts';
import { OfflineGenerator } from './generation/offline.ts';
import type { ExamItem } from './entities/exam.entity.ts';
import { examOutbox } from './repositories/exam.repository.ts';
import { ExamLockLookup } from './services/lock.service.ts';

/** Built once per process, for the subgraph and its workers alike. */
export const examService = defineService({
  name: 'exam',
  config: examConfigSchema,
  orm: ormDefinition,
  setup(deps) {
    const { config } = deps;
    const llm = config.LLM_BASE_URL ? { baseURL: config.LLM_BASE_URL, model: config.LLM_MODEL, apiKey: config.LLM_API_KEY, timeoutMs: config.LLM_TIMEOUT_MS } : null;
    const relay = new OutboxRelay({ outbox: examOutbox, orm: deps.orm, producer: deps.producer(notifyQueue), logger: deps.logger, intervalMs: config.OUTBOX_RELAY_INTERVAL_MS });
    relay.start();
    deps.onStop(() => relay.stop());
    deps.logger.info({ generator: llm ? `LLM ${config.LLM_MODEL}` : 'EXTRACTIVE (no LLM_BASE_URL)' }, 'exam generator');
    return {
      config,
      relay,
      scope: new CourseScopeClient(deps.internal(config.ACADEMIC_INTERNAL_URL), deps.redis),
      retrieval: new RetrievalClient(deps.internal(config.RETRIEVAL_INTERNAL_URL)),
      redis: deps.redis,
      orm: deps.orm,
      locks: new ExamLockLookup(deps.orm),
      generator: llm ? ('LLM' as const) : ('EXTRACTIVE' as const),
      // Published exams' items, which never change (at most 50 items each).
      publishedItems: new LRUCache<string, ExamItem[]>({ max: 2_000 }),
      source: llm ? new LlmExamSource(llm) : new OfflineGenerator(),
      grader: llm ? new LlmGrader(llm) : null,
      // Opened on first use: a worker process that never enqueues opens no queue connection.
      generations: () => deps.producer(generateExamQueue),
      submissions: () => deps.producer(submitAttemptQueue),
      gradings: () => (llm ? deps.producer(gradeAttemptQueue) : null),
    };
  },
});
export type ExamServices = Awaited<ReturnType<typeof examService.setup>>;
