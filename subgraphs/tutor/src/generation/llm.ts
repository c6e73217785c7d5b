import { failSpan, SERVICE_ATTRIBUTE, SpanKind, startSpan, traceHeaders, withSpanContext } from '@ai-teacher/shared';
import OpenAI from 'openai';
import type { TutorMode } from '../entities/chat.entity.ts';
import type { GroundingPassage } from './grounding.ts';

export interface ChatTurn {
  role: 'user' | 'assistant';
  content: string;
}

/** Any OpenAI-compatible chat endpoint (OpenAI, Azure, vLLM, Ollama, llama.cpp server), streamed. */
export class LlmClient {
  private readonly client: OpenAI;
  readonly model: string;
  private readonly maxTokens: number;

  constructor(opts: { baseURL: string; model: string; apiKey?: string | undefined; timeoutMs: number; maxTokens: number }) {
    // Local servers accept any key; the SDK insists on one.
    this.client = new OpenAI({ baseURL: opts.baseURL, apiKey: opts.apiKey ?? 'unused', timeout: opts.timeoutMs, maxRetries: 1 });
    this.model = opts.model;
    this.maxTokens = opts.maxTokens;
  }

  /** With tracing on, one CLIENT span (`chat <model>`) from the request until the stream ends; the endpoint gets its `traceparent`. */
  async *stream(messages: ChatMessages, signal?: AbortSignal): AsyncGenerator<string> {
    const traced = startSpan(`chat ${this.model}`, {
      kind: SpanKind.CLIENT,
      attributes: { [SERVICE_ATTRIBUTE]: 'tutor', 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': this.model, 'gen_ai.request.max_tokens': this.maxTokens },
    });
    let deltas = 0;
    try {
      const headers = withSpanContext(traced?.ctx, traceHeaders);
      const stream = await withSpanContext(traced?.ctx, () =>
        this.client.chat.completions.create(
          { model: this.model, messages, stream: true, temperature: 0.2, max_tokens: this.maxTokens },
          { signal, ...(headers ? { headers } : {}) },
        ),
      );
      for await (const chunk of stream) {
        const delta = chunk.choices[0]?.delta?.content;
        if (delta) {
          deltas++;
          yield delta;
        }
      }
    } catch (err) {
      failSpan(traced?.span, err);
      throw err;
    } finally {
      traced?.span.setAttribute('ai_teacher.llm.deltas', deltas);
      traced?.span.end();
    }
  }
}

const MODE_RULES: Record<TutorMode, string> = {
  EXPLAIN:
    'Explain the idea clearly for a first-year student: a one-sentence summary, an explanation, numbered steps where a procedure helps, and one short worked example taken from or closely following the passages.',
  SOCRATIC:
    'Teach Socratically: do NOT give the full solution. Give a short hint, then guiding questions (under Steps) that lead the student to work it out. Leave Example empty.',
  QUIZ_ME:
    'Quiz the student: write 3 short questions on the topic under Steps (and repeat them under Check questions), each with a one-line hint of where the passages answer it. If the student is answering an earlier quiz question, first give feedback on their answer.',
};

export type ChatMessages = OpenAI.Chat.ChatCompletionMessageParam[];

/** The prompt: rules, the numbered course passages, the recent conversation, the question (last). */
export function buildPrompt(mode: TutorMode, question: string, passages: GroundingPassage[], history: ChatTurn[]): ChatMessages {
  const sources = passages
    .map((p, i) => `[${i + 1}] (pages ${p.pageStart}–${p.pageEnd}${p.section ? `, ${p.section}` : ''})\n${p.text}`)
    .join('\n\n');
  const system = [
    'You are a patient university tutor. Answer ONLY from the numbered course passages below; never use outside knowledge.',
    'If the passages do not answer the question, reply with exactly: NOT IN MATERIAL',
    MODE_RULES[mode],
    'Write plain text under these headings, in this order, each on its own line: ## Summary, ## Explanation, ## Steps, ## Example, ## Check questions, ## Sources.',
    'Under Sources, list each passage you used as: [n] "an exact quote copied word for word from passage n".',
    '',
    'Course passages:',
    sources,
  ].join('\n');
  return [{ role: 'system', content: system }, ...history, { role: 'user', content: question }];
}
