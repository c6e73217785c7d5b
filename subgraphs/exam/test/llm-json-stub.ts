// A local OpenAI-compatible chat server that answers in one piece (POST /v1/chat/completions, no
// streaming), for testing JSON-mode callers with the real `openai` SDK. What it answers is decided
// by the test's `reply` function from the request body, so tests can steer it through the prompt.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface JsonChatRequest {
  model: string;
  stream?: boolean;
  temperature?: number;
  response_format?: { type: string };
  messages: { role: string; content: string }[];
}

/** The assistant message's content, or an HTTP error the server answers with instead. */
export type StubReply = string | { status: number; message: string };

export class LlmJsonStub {
  readonly requests: JsonChatRequest[] = [];
  private server: Server | undefined;
  url = '';

  private readonly reply: (request: JsonChatRequest) => StubReply;

  constructor(reply: (request: JsonChatRequest) => StubReply) {
    this.reply = reply;
  }

  async start(): Promise<void> {
    this.server = createServer(async (req, res) => {
      let raw = '';
      for await (const c of req) raw += c;
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return void res.writeHead(404).end();
      const body = JSON.parse(raw) as JsonChatRequest;
      this.requests.push(body);
      const out = this.reply(body);
      if (typeof out !== 'string') {
        res.writeHead(out.status, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ error: { message: out.message, type: 'server_error' } }));
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: `chatcmpl-stub-${this.requests.length}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: body.model,
          choices: [{ index: 0, message: { role: 'assistant', content: out }, finish_reason: 'stop', logprobs: null }],
          usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
        }),
      );
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }
}
