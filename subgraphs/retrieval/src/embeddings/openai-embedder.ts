import { inSpan, SERVICE_ATTRIBUTE, SpanKind, traceHeaders } from '@ai-teacher/shared';
import OpenAI from 'openai';
import type { Embedder } from './embedder.ts';

/** Any OpenAI-compatible embeddings endpoint (OpenAI, Azure, vLLM, Ollama, llama.cpp server). */
export class OpenAIEmbedder implements Embedder {
  readonly model: string;
  dimensions = 0;
  private readonly client: OpenAI;
  private readonly batchSize: number;

  constructor(opts: { baseURL: string; model: string; apiKey?: string | undefined; batchSize: number }) {
    this.client = new OpenAI({ baseURL: opts.baseURL, apiKey: opts.apiKey ?? 'not-needed', maxRetries: 3, timeout: 60_000 });
    this.model = opts.model;
    this.batchSize = opts.batchSize;
  }

  async embed(texts: string[]): Promise<number[][]> {
    const out: number[][] = [];
    for (let i = 0; i < texts.length; i += this.batchSize) {
      const input = texts.slice(i, i + this.batchSize);
      // One CLIENT span per request (`embeddings <model>`); the endpoint gets its `traceparent`.
      const attributes = { [SERVICE_ATTRIBUTE]: 'retrieval', 'gen_ai.operation.name': 'embeddings', 'gen_ai.request.model': this.model, 'ai_teacher.embeddings.inputs': input.length };
      const res = await inSpan(`embeddings ${this.model}`, { kind: SpanKind.CLIENT, attributes }, () => {
        const headers = traceHeaders();
        return this.client.embeddings.create({ model: this.model, input }, headers ? { headers } : {});
      });
      const batch = [...res.data].sort((a, b) => a.index - b.index).map((d) => normalise(d.embedding));
      out.push(...batch);
    }
    this.dimensions ||= out[0]?.length ?? 0;
    return out;
  }
}

function normalise(v: number[]): number[] {
  const n = Math.sqrt(v.reduce((a, x) => a + x * x, 0)) || 1;
  return v.map((x) => x / n);
}
