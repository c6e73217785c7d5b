// A local OpenAI-compatible chat server (POST /v1/chat/completions, `stream: true`, server-sent
// events), for testing the tutor with the real `openai` SDK. What it does depends on the question:
// FAIL_MIDSTREAM drops the connection after a few chunks, HTTP500 answers with an error, SLOW waits
// between chunks. Otherwise it answers under the prompt's headings, quoting passage [1] verbatim and
// "quoting" passage [2] with words that are not in it.
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ChatRequest {
  model: string;
  stream: boolean;
  messages: { role: string; content: string }[];
}

export class LlmStub {
  readonly requests: ChatRequest[] = [];
  /** Each request's headers, in the same order (trace context among them). */
  readonly headers: IncomingHttpHeaders[] = [];
  private server: Server | undefined;
  chunkDelayMs: number;
  private readonly keepRequests: boolean;
  private held: Promise<void> | null = null;
  url = '';

  /** `chunkDelayMs`: pause between chunks for every answer (benchmarks pace answers with it). */
  constructor(opts: { chunkDelayMs?: number; keepRequests?: boolean } = {}) {
    this.chunkDelayMs = opts.chunkDelayMs ?? 0;
    this.keepRequests = opts.keepRequests ?? true;
  }

  async start(): Promise<void> {
    this.server = createServer(async (req, res) => {
      let raw = '';
      for await (const c of req) raw += c;
      if (req.url !== '/v1/chat/completions') return void res.writeHead(404).end();
      const body = JSON.parse(raw) as ChatRequest;
      if (this.keepRequests) {
        this.requests.push(body);
        this.headers.push(req.headers);
      }
      const question = body.messages.at(-1)!.content;
      if (question.includes('HTTP500')) {
        res.writeHead(500, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ error: { message: 'the model is overloaded', type: 'server_error' } }));
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      const pieces = answerFor(body).match(/\S+\s*/g) ?? [];
      const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
        `data: ${JSON.stringify({ id: 'chatcmpl-stub', object: 'chat.completion.chunk', created: 0, model: body.model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      res.write(chunk({ role: 'assistant', content: '' }));
      if (this.held) await this.held;
      for (const [i, piece] of pieces.entries()) {
        if (question.includes('FAIL_MIDSTREAM') && i === 3) {
          await new Promise((r) => setTimeout(r, 50)); // let the first chunks reach the client
          return void res.socket?.destroy();
        }
        const delay = question.includes('SLOW') ? 40 : this.chunkDelayMs;
        if (delay) await new Promise((r) => setTimeout(r, delay));
        res.write(chunk({ content: piece }));
      }
      res.write(chunk({}, 'stop'));
      res.end('data: [DONE]\n\n');
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  /** Answers wait before their first word until the returned function is called. */
  hold(): () => void {
    let release!: () => void;
    this.held = new Promise<void>((resolve) => (release = resolve));
    return () => {
      this.held = null;
      release();
    };
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }
}

/** Passage n of the prompt ("[n] (pages a–b, section)\ntext"). */
export function passageOf(system: string, n: number): string | null {
  const m = system.match(new RegExp(`\\[${n}\\] \\(pages [^)]*\\)\\n([\\s\\S]*?)(?=\\n\\n\\[\\d+\\] \\(pages|$)`));
  return m?.[1] ?? null;
}

function answerFor(body: ChatRequest): string {
  const system = body.messages[0]!.content;
  const first = passageOf(system, 1) ?? '';
  const quote = first.replace(/\s+/g, ' ').split(/(?<=[.!?])\s/)[0]!.trim();
  return [
    '## Summary',
    'Atoms are built from protons, neutrons and electrons [1].',
    '## Explanation',
    'The passages explain the parts of an atom and how they differ in charge and mass [1].',
    '## Steps',
    '1. Find the protons in the nucleus.',
    '2. Add the neutrons to get the mass number.',
    '## Example',
    'Carbon-12 has 6 protons and 6 neutrons.',
    '## Check questions',
    '- What is the charge of a neutron?',
    '- Where are electrons found?',
    '## Sources',
    `[1] "${quote}"`,
    '[2] "Atoms are tiny spaceships made of cheese."',
  ].join('\n');
}
