import { CourseScopeClient } from '@ai-teacher/academic/contracts';
import { ExamLockClient } from '@ai-teacher/exam/contracts';
import { defineService } from '@ai-teacher/shared';
import { RetrievalClient } from '@ai-teacher/retrieval/contracts';
import { tutorConfigSchema } from './config.ts';
import { ormDefinition } from './database.ts';
import { createTutorMetrics, TutorEngine } from './generation/engine.ts';
import { AnswerFinisher } from './generation/finisher.ts';
import { GroundingSource } from './generation/grounding.ts';
import { LlmClient } from './generation/llm.ts';
import { GenerationSlots } from './generation/slots.ts';
import { AnswerStreams } from './generation/stream.ts';

/** Answer generation and streaming, built once per process. */
export const tutorService = defineService({
  name: 'tutor',
  config: tutorConfigSchema,
  orm: ormDefinition,
  setup(deps) {
    const { config } = deps;
    // Pub/sub needs connections of its own (a subscribed connection can do nothing else).
    const streams = new AnswerStreams({
      redis: deps.redis,
      publisher: deps.dedicatedRedis(),
      subscriber: deps.dedicatedRedis(),
      channelPrefix: config.REDIS_KEY_PREFIX,
      ttlSeconds: config.TUTOR_STREAM_TTL,
    });
    const llm = config.LLM_BASE_URL
      ? new LlmClient({ baseURL: config.LLM_BASE_URL, model: config.LLM_MODEL, apiKey: config.LLM_API_KEY, timeoutMs: config.LLM_TIMEOUT_MS, maxTokens: config.LLM_MAX_TOKENS })
      : null;
    const slots = new GenerationSlots(deps.redis, config.TUTOR_MAX_CONCURRENT_PER_USER);
    const finisher = new AnswerFinisher({ orm: deps.orm, streams, slots });
    const engine = new TutorEngine({
      redis: deps.redis,
      streams,
      finisher,
      grounding: new GroundingSource(new RetrievalClient(deps.internal(config.RETRIEVAL_INTERNAL_URL))),
      llm,
      logger: deps.logger,
      passages: config.TUTOR_PASSAGES,
      cacheTtlSeconds: config.TUTOR_ANSWER_CACHE_TTL,
      metrics: createTutorMetrics(deps.metrics.registry),
    });
    deps.logger.info({ generator: llm ? `LLM ${config.LLM_MODEL}` : 'EXTRACTIVE (no LLM_BASE_URL)' }, 'tutor generator');
    deps.onStop(async () => {
      // Answers being written get most of the shutdown window; the rest end FAILED (ask again).
      await engine.drain(Math.max(1_000, config.SHUTDOWN_TIMEOUT_MS - 3_000));
      await streams.close().catch(() => undefined);
    });
    return { config, engine, streams, slots, finisher, scope: new CourseScopeClient(deps.internal(config.ACADEMIC_INTERNAL_URL), deps.redis), examLock: new ExamLockClient(deps.internal(config.EXAM_INTERNAL_URL), deps.redis) };
  },
});
