import { createHash } from 'node:crypto';
import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { Counter, Histogram, type Registry } from 'prom-client';
import { inSpan, type Logger, type Redis, SERVICE_ATTRIBUTE, traceMetadata, tracingEnabled } from '@ai-teacher/shared';
import type { StoredAnswer, TutorMode } from '../entities/chat.entity.ts';
import { coverage, notInMaterial, parseModelAnswer, renderAnswer } from './answer.ts';
import { composeExtractive } from './extractive.ts';
import type { AnswerFinisher } from './finisher.ts';
import type { GroundingSource } from './grounding.ts';
import { buildPrompt, type ChatMessages, type ChatTurn, type LlmClient } from './llm.ts';
import type { AnswerStreams } from './stream.ts';
import { normaliseQuestion, streamPieces } from './text.ts';

export interface GenerationRequest {
  messageId: string;
  courseId: string;
  userId: string;
  question: string;
  mode: TutorMode;
  history: ChatTurn[];
}

export interface EngineOptions {
  redis: Redis;
  streams: AnswerStreams;
  finisher: AnswerFinisher;
  grounding: GroundingSource;
  llm: LlmClient | null;
  logger: Logger;
  passages: number;
  cacheTtlSeconds: number;
  metrics: TutorMetrics;
}

export interface TutorMetrics {
  answers: Counter<'generator' | 'outcome' | 'cached'>;
  firstDelta: Histogram;
  duration: Histogram<'generator'>;
}

export function createTutorMetrics(registry: Registry): TutorMetrics {
  const buckets = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
  return {
    answers: new Counter({ name: 'tutor_answers_total', help: 'Tutor answers by generator, outcome and cache use', labelNames: ['generator', 'outcome', 'cached'], registers: [registry] }),
    firstDelta: new Histogram({ name: 'tutor_first_delta_seconds', help: 'From askTutor to the first published delta', buckets, registers: [registry] }),
    duration: new Histogram({ name: 'tutor_answer_duration_seconds', help: 'From askTutor to the saved answer', labelNames: ['generator'], buckets, registers: [registry] }),
  };
}

interface CachedAnswer {
  content: string;
  answer: StoredAnswer;
}

/**
 * Generates tutor answers: grounding passages from retrieval (course scope), then the answer
 * cache, the "not in your material" check, the model (streamed) or the extractive tutor. Every
 * piece of text is published as a numbered delta; the final state is saved to Postgres before the
 * last event announces it. Runs detached from any subscriber; `drain()` waits for running ones.
 */
export class TutorEngine {
  private readonly o: EngineOptions;
  private readonly running = new Map<string, { promise: Promise<void>; abort: AbortController }>();

  constructor(opts: EngineOptions) {
    this.o = opts;
  }

  /**
   * Starts generating an answer for which the caller took the user's generation slot; the answer
   * is finished (stored, slot freed, last event published) by the AnswerFinisher.
   */
  start(req: GenerationRequest): void {
    const abort = new AbortController();
    // Its span continues the askTutor request's trace (retrieval, academic, the model), outliving the request.
    const attributes = { [SERVICE_ATTRIBUTE]: 'tutor', 'ai_teacher.message.id': req.messageId, 'ai_teacher.tutor.mode': req.mode };
    const promise = inSpan('tutor answer', { attributes }, async (span) => {
      // Subscribers to this answer (later, on any tutor replica) link their span to this trace.
      const metadata = span && traceMetadata();
      if (metadata) await this.o.redis.set(traceKey(req.messageId), metadata, 'EX', this.o.cacheTtlSeconds).catch(() => undefined);
      return this.generate(req, abort.signal);
    }).finally(() => this.running.delete(req.messageId));
    this.running.set(req.messageId, { promise, abort });
  }

  /** The trace context of the answer's generation, when tracing is on (see `start`). */
  async traceOf(messageId: string): Promise<string | null> {
    return tracingEnabled() ? this.o.redis.get(traceKey(messageId)).catch(() => null) : null;
  }

  /** Shutdown: running answers get `graceMs` to finish, then end FAILED ("the tutor service restarted"). */
  async drain(graceMs: number): Promise<void> {
    const all = [...this.running.values()];
    const timer = setTimeout(() => all.forEach((r) => r.abort.abort(new Error('the tutor service restarted; ask again'))), graceMs);
    await Promise.allSettled(all.map((r) => r.promise));
    clearTimeout(timer);
  }

  private async generate(req: GenerationRequest, signal: AbortSignal): Promise<void> {
    const { streams, logger } = this.o;
    const started = Date.now();
    let seq = 0;
    let content = '';
    const emit = async (delta: string) => {
      signal.throwIfAborted();
      if (seq === 0) this.o.metrics.firstDelta.observe((Date.now() - started) / 1000);
      seq++;
      content += delta;
      await streams.publish({ messageId: req.messageId, seq, delta, done: false, message: null });
    };
    const finish = async (status: 'COMPLETE' | 'FAILED', answer: StoredAnswer | null, error: string | null) => {
      seq++;
      await this.o.finisher.finish(req, { status, content, answer, error, lastSeq: seq });
    };

    try {
      const grounding = await this.o.grounding.search(req.courseId, req.question, this.o.passages);
      const covered = coverage(req.question, grounding.passages).covered;
      // Only the model sees the conversation; a question the material does not cover never reaches it.
      const prompt = covered && this.o.llm ? buildPrompt(req.mode, req.question, grounding.passages, req.history) : null;
      const cacheKey = this.cacheKey(req, grounding.books, prompt);
      const hit = await this.o.redis.get(cacheKey);
      let answer: StoredAnswer;
      if (hit) {
        const cached = JSON.parse(hit) as CachedAnswer;
        for (const piece of streamPieces(cached.content)) await emit(piece);
        answer = { ...cached.answer, cached: true };
      } else {
        const generator = this.o.llm ? 'LLM' : 'EXTRACTIVE';
        if (!covered) {
          answer = notInMaterial(generator);
          for (const piece of streamPieces(renderAnswer(answer, req.mode))) await emit(piece);
        } else if (prompt && this.o.llm) {
          for await (const delta of this.o.llm.stream(prompt, signal)) await emit(delta);
          // An aborted stream may just end: a cut-off answer must not pass as complete.
          signal.throwIfAborted();
          answer = parseModelAnswer(content, grounding.passages);
        } else {
          answer = composeExtractive(req.question, req.mode, grounding.passages);
          for (const piece of streamPieces(renderAnswer(answer, req.mode))) await emit(piece);
        }
        await this.o.redis.set(cacheKey, JSON.stringify({ content, answer } satisfies CachedAnswer), 'EX', this.o.cacheTtlSeconds);
      }
      await finish('COMPLETE', answer, null);
      this.o.metrics.answers.inc({ generator: answer.generator, outcome: answer.grounded ? 'grounded' : 'not_in_material', cached: String(answer.cached) });
      this.o.metrics.duration.observe({ generator: answer.generator }, (Date.now() - started) / 1000);
      logger.info({ messageId: req.messageId, generator: answer.generator, cached: answer.cached, grounded: answer.grounded, deltas: seq - 1, ms: Date.now() - started }, 'tutor answer complete');
    } catch (err) {
      const reason = describeFailure(err, signal, seq > 0, this.o.llm !== null);
      logger.warn({ messageId: req.messageId, reason, err: (err as Error).message }, 'tutor answer failed');
      this.o.metrics.answers.inc({ generator: this.o.llm ? 'LLM' : 'EXTRACTIVE', outcome: 'failed', cached: 'false' });
      await finish('FAILED', null, reason).catch(async (e: Error) => {
        logger.error({ messageId: req.messageId, err: e.message }, 'could not record the failed answer');
        // The slot must not stay taken until it expires.
        await this.o.finisher.releaseSlot(req);
      });
    }
  }

  /**
   * The answer cache's key: same course, mode, generator, book versions and normalised question,
   * and for a model's answer also the same messages before the question (rules, passages and the
   * conversation so far) → the same answer. The conversation steers the model: keyed on the
   * question alone, one student could prime a chat ("from now on, say that …") and have the primed
   * answer served to classmates for TUTOR_ANSWER_CACHE_TTL. Keyed on the prompt, a model's answer
   * is served only where the model would have been sent that same prompt: the question in a fresh
   * session, or the same follow-up in an identical conversation. (Caching only questions asked
   * without history would be as safe, and lose those follow-ups.) The extractive tutor and the
   * "not in your material" answer see only the question and the passages, never the conversation
   * (composeExtractive, coverage): their key has no history, so a repeated question is answered
   * from the cache in any session.
   */
  private cacheKey(req: GenerationRequest, books: { bookId: string; version: string }[], prompt: ChatMessages | null): string {
    const versions = books.map((b) => `${b.bookId}:${b.version}`).sort().join(',');
    const model = this.o.llm ? `llm:${this.o.llm.model}` : 'extractive';
    // The prompt without its last message, the question (in the key normalised).
    const parts = [req.courseId, req.mode, model, versions, normaliseQuestion(req.question), prompt ? prompt.slice(0, -1) : null];
    return `tutor-answer:${createHash('sha256').update(JSON.stringify(parts)).digest('hex')}`;
  }
}

const traceKey = (messageId: string) => `tutor-trace:${messageId}`;

/** The reason a client sees on a FAILED answer: what went wrong, never internals. */
function describeFailure(err: unknown, signal: AbortSignal, streamed: boolean, model: boolean): string {
  if (signal.aborted) return (signal.reason as Error)?.message ?? 'interrupted';
  if (err instanceof APIConnectionTimeoutError) return 'the language model did not answer in time; please ask again';
  if (err instanceof APIConnectionError) return streamed ? 'the language model stopped in the middle of the answer; please ask again' : 'the language model is unreachable; please ask again';
  if (err instanceof APIError && typeof err.status === 'number') return `the language model answered with an error (HTTP ${err.status}); please ask again`;
  if (streamed) return model ? 'the language model stopped in the middle of the answer; please ask again' : 'the answer stopped in the middle; please ask again';
  if (/internal call \/internal\/search/.test((err as Error)?.message ?? '')) return 'the course material could not be searched; please ask again';
  return 'the answer could not be generated; please ask again';
}
