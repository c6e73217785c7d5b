import { readFileSync } from 'node:fs';
import { CourseScopeClient, createRedis, createSubgraph, type Env, InternalClient, loadConfig, type Redis, type RunningSubgraph } from '@ai-teacher/shared';
import { parse } from 'graphql';
import { tutorConfigSchema } from './config.ts';
import type { TutorContext } from './context.ts';
import { ormDefinition } from './database.ts';
import { createTutorMetrics, TutorEngine } from './generation/engine.ts';
import { RetrievalClient } from './generation/grounding.ts';
import { LlmClient } from './generation/llm.ts';
import { AnswerStreams } from './generation/stream.ts';
import { ChatRepository } from './repositories/chat.repository.ts';
import { resolvers } from './resolvers/index.ts';
import { TutorService } from './services/tutor.service.ts';

export const TUTOR_DEFAULT_PORT = 4003;
export const tutorTypeDefs = parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

/** Builds and starts the tutor subgraph (queries, mutations and graphql-ws subscriptions). */
export async function startTutorSubgraph(env: Env = {}): Promise<RunningSubgraph> {
  const config = loadConfig(tutorConfigSchema, env);
  let engine: TutorEngine | undefined;
  let streams: AnswerStreams | undefined;
  let scope: CourseScopeClient | undefined;
  let pubsubConnections: Redis[] = [];
  let shutdownMs = 10_000;

  return createSubgraph<TutorContext>({
    name: 'tutor',
    typeDefs: tutorTypeDefs,
    resolvers: resolvers as never,
    orm: ormDefinition,
    defaultPort: TUTOR_DEFAULT_PORT,
    env,
    subscriptions: true,
    async onStart(deps) {
      shutdownMs = deps.config.SHUTDOWN_TIMEOUT_MS;
      scope = new CourseScopeClient(new InternalClient({ secret: deps.identitySecret, service: 'tutor', baseUrl: config.ACADEMIC_INTERNAL_URL }), deps.redis);
      // Pub/sub needs connections of its own (a subscribed connection can do nothing else).
      pubsubConnections = [createRedis(deps.config, 'queue'), createRedis(deps.config, 'queue')];
      streams = new AnswerStreams({
        redis: deps.redis,
        publisher: pubsubConnections[0]!,
        subscriber: pubsubConnections[1]!,
        channelPrefix: deps.config.REDIS_KEY_PREFIX,
        ttlSeconds: config.TUTOR_STREAM_TTL,
      });
      const llm = config.LLM_BASE_URL
        ? new LlmClient({ baseURL: config.LLM_BASE_URL, model: config.LLM_MODEL, apiKey: config.LLM_API_KEY, timeoutMs: config.LLM_TIMEOUT_MS, maxTokens: config.LLM_MAX_TOKENS })
        : null;
      engine = new TutorEngine({
        orm: deps.orm,
        redis: deps.redis,
        streams,
        retrieval: new RetrievalClient(new InternalClient({ secret: deps.identitySecret, service: 'tutor', baseUrl: config.RETRIEVAL_INTERNAL_URL })),
        llm,
        logger: deps.logger,
        passages: config.TUTOR_PASSAGES,
        cacheTtlSeconds: config.TUTOR_ANSWER_CACHE_TTL,
        metrics: createTutorMetrics(deps.metrics.registry),
      });
      deps.logger.info({ generator: llm ? `LLM ${config.LLM_MODEL}` : 'EXTRACTIVE (no LLM_BASE_URL)' }, 'tutor generator');
    },
    async onStop() {
      // Answers being written get most of the shutdown window; the rest end FAILED (ask again).
      await engine?.drain(Math.max(1_000, shutdownMs - 3_000));
      await streams?.close().catch(() => undefined);
    },
    context(base) {
      return {
        ...base,
        tutor: new TutorService({
          identity: base.identity,
          config,
          chats: new ChatRepository(base.em),
          scope: scope!,
          engine: engine!,
          streams: streams!,
          redis: base.redis,
          logger: base.logger,
        }),
      };
    },
  });
}
