// A real SMTP server for tests (the `smtp-server` package, plain text, no auth) that answers per
// recipient, plus a minimal reader for the MIME messages nodemailer writes (no mailparser here).
import net from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMessage {
  from: string;
  to: string[];
  raw: string;
}

/**
 * Recipients by local part: `temp-fail@…` gets 451 on its first RCPT TO and is accepted after;
 * `reject@…` always gets 550; anyone else is accepted.
 */
export class TestSmtpServer {
  readonly messages: ReceivedMessage[] = [];
  /** RCPT TO attempts per address. */
  readonly attempts = new Map<string, number>();
  private readonly server: SMTPServer;
  port = 0;

  constructor() {
    this.server = new SMTPServer({
      secure: false,
      disabledCommands: ['STARTTLS', 'AUTH'],
      authOptional: true,
      logger: false,
      onRcptTo: (address, _session, callback) => {
        const to = address.address.toLowerCase();
        const n = (this.attempts.get(to) ?? 0) + 1;
        this.attempts.set(to, n);
        const local = to.split('@')[0];
        if (local === 'temp-fail' && n === 1) return callback(Object.assign(new Error('4.2.0 Mailbox busy, try again later'), { responseCode: 451 }));
        if (local === 'reject') return callback(Object.assign(new Error(`5.1.1 <${to}>: mailbox unavailable`), { responseCode: 550 }));
        callback();
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          this.messages.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          callback();
        });
      },
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.server.address() as net.AddressInfo).port;
    return this;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A TCP server that sends `greeting` (if any) to each connection and then says nothing more. */
export async function rawServer(greeting: string | null): Promise<{ port: number; stop(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (greeting !== null) socket.write(`${greeting}\r\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface ParsedMessage {
  /** Unfolded header values by lower-case name; encoded words in Subject decoded. */
  headers: Map<string, string[]>;
  header(name: string): string | undefined;
  text: string | undefined;
  html: string | undefined;
}

function splitHead(raw: string): { head: string; body: string } {
  const at = raw.indexOf('\n\n');
  return at < 0 ? { head: raw, body: '' } : { head: raw.slice(0, at), body: raw.slice(at + 2) };
}

function parseHeaders(head: string): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  for (const line of head.replace(/\n[ \t]+/g, ' ').split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  return headers;
}

function decodeQuotedPrintable(s: string): string {
  const bytes: number[] = [];
  const input = s.replace(/=\n/g, '');
  for (let i = 0; i < input.length; i++) {
    const c = input[i] as string;
    const hex = input.slice(i + 1, i + 3);
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(c, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function decodeBody(body: string, encoding: string | undefined): string {
  const e = (encoding ?? '7bit').toLowerCase();
  if (e === 'quoted-printable') return decodeQuotedPrintable(body);
  if (e === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return body;
}

function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_m, _charset: string, enc: string, data: string) =>
      enc.toUpperCase() === 'B' ? Buffer.from(data, 'base64').toString('utf8') : decodeQuotedPrintable(data.replace(/_/g, ' ')),
    );
}

/** Reads the message nodemailer composes: single part or multipart/alternative with text and html. */
export function parseMessage(raw: string): ParsedMessage {
  const { head, body } = splitHead(raw.replace(/\r\n/g, '\n'));
  const headers = parseHeaders(head);
  const subject = headers.get('subject');
  if (subject) headers.set('subject', subject.map(decodeWords));
  const header = (name: string): string | undefined => headers.get(name.toLowerCase())?.[0];
  const parts: { type: string; content: string }[] = [];
  const contentType = header('content-type') ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (boundary) {
    for (const chunk of body.split(`--${boundary}`).slice(1)) {
      if (chunk.startsWith('--')) break;
      const part = splitHead(chunk.replace(/^\n/, ''));
      const ph = parseHeaders(part.head);
      parts.push({ type: ph.get('content-type')?.[0] ?? 'text/plain', content: decodeBody(part.body.replace(/\n$/, ''), ph.get('content-transfer-encoding')?.[0]) });
    }
  } else {
    parts.push({ type: contentType, content: decodeBody(body, header('content-transfer-encoding')) });
  }
  return {
    headers,
    header,
    text: parts.find((p) => p.type.startsWith('text/plain'))?.content,
    html: parts.find((p) => p.type.startsWith('text/html'))?.content,
  };
}
