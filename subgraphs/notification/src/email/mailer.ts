// Sending one rendered notification email. The caller is a BullMQ job with bounded attempts, so the
// one decision made here is whether a failure is worth another attempt: a permanent refusal of this
// message (SMTP 5xx to the envelope or the data, an address that cannot be sent to) is returned as
// REJECTED and recorded; everything else throws TemporaryMailError and the job retries with backoff.
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer, { type NodemailerError, type SendMailOptions, type Transporter } from 'nodemailer';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  unsubscribeUrl: string;
  /** for the message id / file name */
  id: string;
}

export type MailOutcome = { status: 'SENT'; messageId: string } | { status: 'REJECTED'; error: string };

/** A failure that may pass: the job should retry with backoff. */
export class TemporaryMailError extends Error {
  override readonly name = 'TemporaryMailError';
  /** nodemailer's error code (ECONNECTION, ETIMEDOUT, EENVELOPE...), when there is one. */
  readonly code: string | undefined;
  /** The SMTP reply code, when the server answered. */
  readonly responseCode: number | undefined;
  constructor(message: string, opts: { code?: string | undefined; responseCode?: number | undefined; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.code = opts.code;
    this.responseCode = opts.responseCode;
  }
}

export interface Mailer {
  send(mail: OutgoingMail): Promise<MailOutcome>;
  close(): Promise<void>;
  readonly kind: 'smtp' | 'file';
}

/** Errors are stored on the notification; a server may answer at length. */
const ERROR_MAX = 1_000;

/**
 * A token made of [A-Za-z0-9_-] only, the same for the same id: the local part of the Message-ID and
 * part of a file name. An id that had to be changed gets a hash of the original so two ids never
 * share a token.
 */
export function mailToken(id: string): string {
  const safe = id.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 80);
  if (safe === id && safe.length > 0) return safe;
  return `${safe}_${createHash('sha256').update(id).digest('hex').slice(0, 16)}`;
}

/** The domain of the `from` address, for Message-IDs (`Name <user@domain>` or a bare address). */
function senderDomain(from: string): string {
  const m = /([^\s<>@"]+)@([A-Za-z0-9.-]+)>?\s*$/.exec(from.trim());
  if (!m?.[2]) throw new Error(`mail "from" must contain an address (user@domain): ${JSON.stringify(from)}`);
  return m[2].toLowerCase();
}

/**
 * What both mailers hand to nodemailer. The Message-ID is derived from the id, so a message sent
 * again by a retried job is recognisably the same message (and receivers that deduplicate on it can).
 */
function composeOptions(mail: OutgoingMail, from: string, domain: string): SendMailOptions {
  return {
    from,
    to: mail.to,
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    messageId: `<${mailToken(mail.id)}@${domain}>`,
    // nodemailer writes `List-Unsubscribe: <url>`, folding and stripping line breaks itself.
    list: { unsubscribe: mail.unsubscribeUrl },
    // RFC 8058: mailbox providers show their own "unsubscribe" button and POST to the URL.
    headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
  };
}

/**
 * One bare address (`user@domain`). A display name, a list or a group would let one notification go
 * to several mailboxes, so anything else is refused before it reaches the server.
 */
const BARE_ADDRESS = /^[^\s@<>,;:"()[\]\\]+@[^\s@<>,;:"()[\]\\]+$/;

function invalidRecipient(to: string): MailOutcome | null {
  return BARE_ADDRESS.test(to) ? null : { status: 'REJECTED', error: `invalid recipient address: ${JSON.stringify(to.slice(0, 200))}` };
}

function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.length > ERROR_MAX ? `${text.slice(0, ERROR_MAX - 1)}…` : text;
}

/**
 * How a nodemailer error is to be treated. Only errors about this message are permanent: a 5xx reply
 * to MAIL FROM / RCPT TO / DATA (nodemailer's EENVELOPE / EMESSAGE, with `permanent` set from the
 * reply class — 503 "bad sequence" is not, the session was in a bad state), or an envelope nodemailer
 * refused before talking to the server (an unusable recipient address). A 5xx at the greeting, EHLO
 * or AUTH says the server or our account is unusable right now, not that this message is bad:
 * recording every pending email as rejected for that would lose them, so those are retried, like
 * every 4xx reply, connection, DNS, TLS and timeout error, and anything not recognised — the job's
 * attempts bound the retrying.
 */
export function classifySmtpError(err: unknown): MailOutcome | TemporaryMailError {
  const e = (err ?? {}) as NodemailerError;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const aboutMessage = code === 'EENVELOPE' || code === 'EMESSAGE';
  if (aboutMessage && responseCode !== undefined) {
    const permanent = e.permanent ?? (responseCode >= 500 && responseCode < 600 && responseCode !== 503);
    if (permanent) return { status: 'REJECTED', error: errorText(err) };
  } else if (aboutMessage && e.command === 'API') {
    // Refused locally ("Invalid recipient", "No recipients defined"): sending again changes nothing.
    return { status: 'REJECTED', error: errorText(err) };
  }
  const detail = [code, e.originalCode && e.originalCode !== code ? e.originalCode : undefined].filter(Boolean).join('/');
  return new TemporaryMailError(detail ? `${errorText(err)} (${detail})` : errorText(err), { code, responseCode, cause: err });
}

export interface SmtpMailerOptions {
  /** `smtp://[user:pass@]host[:port]` or `smtps://...`; nodemailer's query options (e.g. `?tls.rejectUnauthorized=false`) apply. */
  url: string;
  from: string;
  /** Milliseconds; defaults suit a real provider. */
  connectionTimeoutMs?: number;
  greetingTimeoutMs?: number;
  socketTimeoutMs?: number;
  /** The longest one send may take, queueing in the pool included. */
  sendTimeoutMs?: number;
  maxConnections?: number;
}

export class SmtpMailer implements Mailer {
  readonly kind = 'smtp';
  private readonly transport: Transporter;
  private readonly from: string;
  private readonly domain: string;
  private readonly sendTimeoutMs: number;

  constructor(opts: SmtpMailerOptions) {
    let protocol: string;
    try {
      protocol = new URL(opts.url).protocol;
    } catch {
      throw new Error('SMTP URL is not a URL');
    }
    if (protocol !== 'smtp:' && protocol !== 'smtps:') throw new Error(`SMTP URL must be smtp:// or smtps://, not ${protocol}//`);
    this.from = opts.from;
    this.domain = senderDomain(opts.from);
    this.sendTimeoutMs = opts.sendTimeoutMs ?? 120_000;
    this.transport = nodemailer.createTransport({
      url: opts.url,
      pool: true,
      maxConnections: opts.maxConnections ?? 5,
      maxMessages: 100,
      // A connection that drops mid-send fails the send instead of being silently re-sent by the
      // pool: the job retries it, visibly and within its attempts.
      maxRequeues: 0,
      connectionTimeout: opts.connectionTimeoutMs ?? 10_000,
      greetingTimeout: opts.greetingTimeoutMs ?? 15_000,
      socketTimeout: opts.socketTimeoutMs ?? 60_000,
      dnsTimeout: 10_000,
    });
  }

  async send(mail: OutgoingMail): Promise<MailOutcome> {
    const invalid = invalidRecipient(mail.to);
    if (invalid) return invalid;
    try {
      // Socket timeouts miss a server that trickles its replies; the deadline catches that too.
      const info = await this.transport.sendMail({ ...composeOptions(mail, this.from, this.domain), signal: AbortSignal.timeout(this.sendTimeoutMs) });
      const rejected = (info as { rejected?: unknown[] }).rejected ?? [];
      // A single recipient: nodemailer fails the send when it is refused, so this is a safety net.
      if (rejected.length > 0) return { status: 'REJECTED', error: `recipient refused: ${String(rejected[0])}` };
      return { status: 'SENT', messageId: String((info as { messageId?: unknown }).messageId) };
    } catch (err) {
      const outcome = classifySmtpError(err);
      if (outcome instanceof TemporaryMailError) throw outcome;
      return outcome;
    }
  }

  async close(): Promise<void> {
    // Idle connections close now; one delivering a message finishes it first.
    this.transport.close();
  }
}

export interface FileMailerOptions {
  from: string;
  /** Created when missing. */
  dir: string;
}

/**
 * Writes each message as an .eml file instead of sending it, so the service runs offline and a
 * developer can open what would have gone out. The same id is written once: a retried job finds its
 * file and reports it as sent.
 */
export class FileMailer implements Mailer {
  readonly kind = 'file';
  readonly dir: string;
  private readonly from: string;
  private readonly domain: string;
  private readonly composer: Transporter;
  /** Sends of one id in this process run one after the other, so the "already written?" check holds. */
  private readonly inFlight = new Map<string, Promise<MailOutcome>>();

  constructor(opts: FileMailerOptions) {
    this.dir = opts.dir;
    this.from = opts.from;
    this.domain = senderDomain(opts.from);
    this.composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  }

  send(mail: OutgoingMail): Promise<MailOutcome> {
    const token = mailToken(mail.id);
    const previous = this.inFlight.get(token) ?? Promise.resolve(null);
    const next = previous.catch(() => null).then(() => this.write(mail, token));
    this.inFlight.set(token, next);
    const forget = (): void => {
      if (this.inFlight.get(token) === next) this.inFlight.delete(token);
    };
    next.then(forget, forget);
    return next;
  }

  private async write(mail: OutgoingMail, token: string): Promise<MailOutcome> {
    const invalid = invalidRecipient(mail.to);
    if (invalid) return invalid;
    const options = composeOptions(mail, this.from, this.domain);
    const messageId = String(options.messageId);
    const suffix = `-${token}.eml`;
    try {
      await mkdir(this.dir, { recursive: true });
      if ((await readdir(this.dir)).some((f) => f.endsWith(suffix))) return { status: 'SENT', messageId };
      const info = (await this.composer.sendMail(options)) as { message: Buffer };
      // Sortable by time, no characters any file system objects to.
      const stamp = new Date().toISOString().replace(/[-:.]/g, '');
      const final = join(this.dir, `${stamp}${suffix}`);
      // A hidden temp file in the same directory, renamed into place: a reader (or a crash) never
      // leaves a half-written .eml.
      const temp = join(this.dir, `.${token}.${randomUUID()}.tmp`);
      try {
        await writeFile(temp, info.message, { flag: 'wx' });
        await rename(temp, final);
      } catch (err) {
        await rm(temp, { force: true });
        throw err;
      }
      return { status: 'SENT', messageId };
    } catch (err) {
      // A full disk or a permission problem may be fixed before the job's next attempt.
      throw new TemporaryMailError(`could not write mail to ${this.dir}: ${errorText(err)}`, { code: (err as NodeJS.ErrnoException).code, cause: err });
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.inFlight.values());
    this.composer.close();
  }
}

/** SMTP when a URL is configured; otherwise .eml files in `mailDir`, so a local run needs no mail server. */
export function createMailer(opts: { smtpUrl?: string | undefined; from: string; mailDir: string }): Mailer {
  return opts.smtpUrl ? new SmtpMailer({ url: opts.smtpUrl, from: opts.from }) : new FileMailer({ from: opts.from, dir: opts.mailDir });
}
