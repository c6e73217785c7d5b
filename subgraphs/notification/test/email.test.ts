// Notification emails end to end: rendered by the templates, sent through nodemailer to a real SMTP
// server (smtp-server on a local port) that answers per recipient, or written as .eml files.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { NOTIFICATION_KINDS } from '@ai-teacher/shared';
import { classifySmtpError, createMailer, FileMailer, type Mailer, type OutgoingMail, SmtpMailer, TemporaryMailError } from '../src/email/mailer.ts';
import { renderEmail, SUBJECT_MAX } from '../src/email/templates.ts';
import { closedPort, parseMessage, rawServer, TestSmtpServer } from './smtp.ts';

const FROM = 'AI Teacher <no-reply@ai-teacher.test>';
const settings = { appName: 'AI Teacher', appUrl: 'https://app.ai-teacher.test/', unsubscribeUrl: 'https://app.ai-teacher.test/unsubscribe?token=abc123' };
const student = { email: 'ada@example.test', displayName: 'Ada Lovelace' };

function mail(to: string, id: string, n: Parameters<typeof renderEmail>[0] = { kind: 'ANNOUNCEMENT', title: 'Lab moved', body: 'The lab is in room 2 today.\nBring goggles.', courseLabel: 'Chemistry 101' }): OutgoingMail {
  const rendered = renderEmail(n, { email: to, displayName: 'Ada Lovelace' }, settings);
  return { ...rendered, to, unsubscribeUrl: settings.unsubscribeUrl, id };
}

async function temporary(p: Promise<unknown>): Promise<TemporaryMailError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TemporaryMailError);
  return err as TemporaryMailError;
}

describe('renderEmail', () => {
  it('has a greeting, a reason per kind, the title and body, a link to the app and an unsubscribe footer', () => {
    const reasons = new Set<string>();
    for (const kind of NOTIFICATION_KINDS) {
      const { subject, text, html } = renderEmail({ kind, title: 'Week 3', body: 'Line one\nLine two', courseLabel: 'Physics' }, student, settings);
      expect(subject).toBe('[Physics] Week 3');
      expect(text).toMatch(/^Hello Ada Lovelace,\n/);
      const reason = text.split('\n')[2] as string;
      expect(reason).toContain('Physics');
      reasons.add(reason);
      expect(text).toContain('Week 3\n\nLine one\nLine two\n');
      expect(text).toContain(settings.appUrl);
      expect(text).toContain(settings.unsubscribeUrl);
      expect(html).toContain('Hello Ada Lovelace,');
      expect(html).toContain('Line one<br>\nLine two');
      expect(html).toContain(`href="${settings.appUrl}"`);
      expect(html).toContain(`href="https://app.ai-teacher.test/unsubscribe?token&#61;abc123"`);
      expect(html).not.toMatch(/<(link|img|script)\b|src=/i);
    }
    expect(reasons.size).toBe(NOTIFICATION_KINDS.length);
    const book = renderEmail({ kind: 'BOOK_READY', title: 'Optics', body: '', courseLabel: 'Physics' }, student, settings);
    expect(book.text).toContain('A book in Physics is ready to study.');
    expect(renderEmail({ kind: 'EXAM_RESULTS', title: 'Midterm', body: '', courseLabel: null }, student, settings).text).toContain('Your exam results are available.');
    expect(renderEmail({ kind: 'ANNOUNCEMENT', title: 'x', body: '', courseLabel: 'Art' }, student, settings).text).toContain('An announcement from your teacher in Art.');
  });

  it('greets without a name and falls back to the reason when the title is empty', () => {
    const { subject, text } = renderEmail({ kind: 'ENROLLED', title: '  ', body: '', courseLabel: null }, { email: 'x@example.test', displayName: null }, settings);
    expect(text).toMatch(/^Hello,\n/);
    expect(subject).toBe('You have been enrolled in a course.');
  });

  it('escapes hostile text in the HTML part and keeps it plain in the text part', () => {
    const title = '<script>alert(1)</script>';
    const body = '"><img src=x onerror=alert(1)>\n<a href="javascript:alert(2)">click</a>';
    const { text, html } = renderEmail({ kind: 'ANNOUNCEMENT', title, body, courseLabel: '<b>Course</b>' }, { email: 'x@example.test', displayName: '<i>Eve</i>' }, settings);
    expect(html).not.toMatch(/<script|<img|<a href="javascript|<b>|<i>/i);
    expect(html).not.toMatch(/onerror=/);
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(html).toContain('&#34;&#62;&#60;img src&#61;x onerror&#61;alert(1)&#62;<br>');
    expect(html).not.toContain('href="javascript');
    // The text part carries the words as they were typed: it is never interpreted.
    expect(text).toContain(title);
    expect(text).toContain('"><img src=x onerror=alert(1)>');
  });

  it('never links to a non-http(s) URL', () => {
    const { html, text } = renderEmail({ kind: 'EXAM_PUBLISHED', title: 't', body: 'b', courseLabel: null }, student, { ...settings, appUrl: 'javascript:alert(1)', unsubscribeUrl: 'data:text/html,x' });
    expect(html).not.toMatch(/javascript:|data:/);
    expect(text).not.toMatch(/javascript:|data:/);
  });

  it('strips line breaks from the subject and trims it to a sane length', () => {
    const { subject } = renderEmail({ kind: 'ANNOUNCEMENT', title: 'Hello\r\nBcc: victim@example.test\rX-Evil: 1\n', body: '', courseLabel: 'Course\nTwo' }, student, settings);
    expect(subject).toBe('[Course Two] Hello Bcc: victim@example.test X-Evil: 1');
    const long = renderEmail({ kind: 'ANNOUNCEMENT', title: '😀'.repeat(500), body: '', courseLabel: null }, student, settings).subject;
    expect(Array.from(long).length).toBe(SUBJECT_MAX);
    expect(long.endsWith('…')).toBe(true);
    expect(long).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/); // no half surrogate pair
  });
});

describe('SmtpMailer against a real SMTP server', () => {
  let server: TestSmtpServer;
  let mailer: SmtpMailer;
  beforeAll(async () => {
    server = await new TestSmtpServer().start();
  });
  afterAll(async () => {
    await server.stop();
  });
  beforeEach(() => {
    server.messages.length = 0;
    server.attempts.clear();
    mailer = new SmtpMailer({ url: server.url, from: FROM });
  });
  afterEach(async () => {
    await mailer.close();
  });

  it('delivers the message with recipient, subject, text, HTML and List-Unsubscribe headers', async () => {
    const outcome = await mailer.send(mail('ada@example.test', 'notification-1'));
    expect(outcome).toEqual({ status: 'SENT', messageId: '<notification-1@ai-teacher.test>' });
    expect(server.messages).toHaveLength(1);
    const [received] = server.messages;
    expect(received?.to).toEqual(['ada@example.test']);
    expect(received?.from).toBe('no-reply@ai-teacher.test');
    const parsed = parseMessage(received?.raw ?? '');
    expect(parsed.header('to')).toBe('ada@example.test');
    expect(parsed.header('from')).toBe(FROM);
    expect(parsed.header('subject')).toBe('[Chemistry 101] Lab moved');
    expect(parsed.header('message-id')).toBe('<notification-1@ai-teacher.test>');
    expect(parsed.header('list-unsubscribe')).toBe(`<${settings.unsubscribeUrl}>`);
    expect(parsed.header('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    expect(parsed.text).toContain('An announcement from your teacher in Chemistry 101.');
    expect(parsed.text).toContain('Lab moved\n\nThe lab is in room 2 today.\nBring goggles.');
    expect(parsed.html).toContain('The lab is in room 2 today.<br>\nBring goggles.');
    expect(parsed.html).toContain('<h1');
  });

  it('turns a 451 into TemporaryMailError, and the retried send is delivered once', async () => {
    const err = await temporary(mailer.send(mail('temp-fail@example.test', 'n-451')));
    expect(err.responseCode).toBe(451);
    expect(err.message).toContain('Mailbox busy');
    expect(server.messages).toHaveLength(0);
    await expect(mailer.send(mail('temp-fail@example.test', 'n-451'))).resolves.toEqual({ status: 'SENT', messageId: '<n-451@ai-teacher.test>' });
    expect(server.messages).toHaveLength(1);
    expect(server.messages[0]?.to).toEqual(['temp-fail@example.test']);
    expect(server.attempts.get('temp-fail@example.test')).toBe(2);
  });

  it('turns a 550 into REJECTED with the server message, and nothing is delivered', async () => {
    const outcome = await mailer.send(mail('reject@example.test', 'n-550'));
    expect(outcome.status).toBe('REJECTED');
    expect(outcome.status === 'REJECTED' && outcome.error).toMatch(/550 5\.1\.1 <reject@example\.test>: mailbox unavailable/);
    expect(server.messages).toHaveLength(0);
    // The pooled connection stays usable for the next recipient.
    await expect(mailer.send(mail('ada@example.test', 'n-after'))).resolves.toMatchObject({ status: 'SENT' });
    expect(server.messages).toHaveLength(1);
  });

  it('rejects an address that is not one bare address without asking the server', async () => {
    for (const to of ['not-an-address', '', 'a@example.test, b@example.test', 'Eve <eve@example.test>', 'a@b@c']) {
      await expect(mailer.send(mail(to, 'n-bad'))).resolves.toMatchObject({ status: 'REJECTED' });
    }
    expect(server.attempts.size).toBe(0);
  });

  it('keeps injected header lines out of the message and escapes hostile HTML', async () => {
    const hostile = { kind: 'ANNOUNCEMENT' as const, title: '<script>alert(1)</script>\r\nBcc: victim@example.test', body: '"><img src=x onerror=alert(1)>', courseLabel: 'Course' };
    await mailer.send(mail('ada@example.test', 'n-hostile', hostile));
    expect(server.messages).toHaveLength(1);
    expect(server.messages[0]?.to).toEqual(['ada@example.test']);
    const parsed = parseMessage(server.messages[0]?.raw ?? '');
    expect(parsed.headers.has('bcc')).toBe(false);
    expect(parsed.header('subject')).toBe('[Course] <script>alert(1)</script> Bcc: victim@example.test');
    expect(parsed.html).not.toMatch(/<script|<img|onerror=/);
    expect(parsed.html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(parsed.html).toContain('&#34;&#62;&#60;img src&#61;x onerror&#61;alert(1)&#62;');
  });
});

describe('SmtpMailer when the server is not usable', () => {
  const send = (m: SmtpMailer): Promise<MailOutcomeLike> => m.send(mail('ada@example.test', 'n-down'));
  type MailOutcomeLike = Awaited<ReturnType<Mailer['send']>>;

  it('a closed port is a TemporaryMailError', async () => {
    const m = new SmtpMailer({ url: `smtp://127.0.0.1:${await closedPort()}`, from: FROM });
    const err = await temporary(send(m));
    expect(err.message).toContain('ECONNREFUSED');
    await m.close();
  });

  it('a 4xx or 5xx greeting and a greeting that never comes are TemporaryMailErrors', async () => {
    for (const greeting of ['421 4.3.2 Too busy', '554 5.7.1 No service for you', null]) {
      const raw = await rawServer(greeting);
      const m = new SmtpMailer({ url: `smtp://127.0.0.1:${raw.port}`, from: FROM, greetingTimeoutMs: 300 });
      try {
        const err = await temporary(send(m));
        expect(err.code).toBe(greeting ? 'EPROTOCOL' : 'ETIMEDOUT');
      } finally {
        await m.close();
        await raw.stop();
      }
    }
  });

  it('a server that stalls after the greeting hits the send deadline', async () => {
    const raw = await rawServer('220 stalling.test ESMTP');
    const m = new SmtpMailer({ url: `smtp://127.0.0.1:${raw.port}`, from: FROM, socketTimeoutMs: 60_000, sendTimeoutMs: 300 });
    try {
      expect((await temporary(send(m))).code).toBe('EABORT');
    } finally {
      await m.close();
      await raw.stop();
    }
  });

  it('refuses a URL that is not smtp(s) and a from without an address', () => {
    expect(() => new SmtpMailer({ url: 'http://mail.example.test', from: FROM })).toThrow(/smtp:\/\/ or smtps:\/\//);
    expect(() => new SmtpMailer({ url: 'smtp://mail.example.test', from: 'AI Teacher' })).toThrow(/from/);
  });
});

describe('classifySmtpError', () => {
  const e = (props: Record<string, unknown>): Error => Object.assign(new Error('boom'), props);
  it('rejects only permanent replies about the message and locally refused envelopes', () => {
    expect(classifySmtpError(e({ code: 'EENVELOPE', responseCode: 550, permanent: true, command: 'RCPT TO' }))).toMatchObject({ status: 'REJECTED' });
    expect(classifySmtpError(e({ code: 'EMESSAGE', responseCode: 554, permanent: true, command: 'DATA' }))).toMatchObject({ status: 'REJECTED' });
    expect(classifySmtpError(e({ code: 'EENVELOPE', command: 'API' }))).toMatchObject({ status: 'REJECTED' });
    for (const temporaryErr of [
      e({ code: 'EENVELOPE', responseCode: 451, permanent: false, command: 'RCPT TO' }),
      e({ code: 'EENVELOPE', responseCode: 503, permanent: false, command: 'RCPT TO' }),
      e({ code: 'EAUTH', responseCode: 535, permanent: true, command: 'AUTH PLAIN' }),
      e({ code: 'EPROTOCOL', responseCode: 554, permanent: true, command: 'CONN' }),
      e({ code: 'ECONNECTION' }),
      e({ code: 'ETIMEDOUT' }),
      e({ code: 'ESOCKET', originalCode: 'ECONNRESET' }),
      e({ code: 'EDNS' }),
      e({ code: 'EABORT' }),
      new Error('something else'),
      'not even an error',
    ]) {
      expect(classifySmtpError(temporaryErr)).toBeInstanceOf(TemporaryMailError);
    }
  });
});

describe('FileMailer', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'notification-mail-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a parseable .eml into a directory it creates', async () => {
    const mailDir = join(dir, 'nested', 'mail');
    const mailer = createMailer({ from: FROM, mailDir });
    expect(mailer.kind).toBe('file');
    const outcome = await mailer.send(mail('ada@example.test', 'notification/../../7'));
    expect(outcome.status).toBe('SENT');
    const files = await readdir(mailDir);
    expect(files).toHaveLength(1);
    const [file] = files as [string];
    expect(file).toMatch(/^\d{8}T\d{9}Z-notification_______7_[0-9a-f]{16}\.eml$/);
    const parsed = parseMessage(await readFile(join(mailDir, file), 'utf8'));
    expect(parsed.header('to')).toBe('ada@example.test');
    expect(parsed.header('from')).toBe(FROM);
    expect(parsed.header('subject')).toBe('[Chemistry 101] Lab moved');
    expect(parsed.header('message-id')).toBe(outcome.status === 'SENT' ? outcome.messageId : '');
    expect(parsed.header('list-unsubscribe')).toBe(`<${settings.unsubscribeUrl}>`);
    expect(parsed.header('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    expect(parsed.text).toContain('The lab is in room 2 today.\nBring goggles.');
    expect(parsed.html).toContain('Bring goggles.');
    await mailer.close();
  });

  it('writes the same id once, also when sent concurrently, and leaves no temp files', async () => {
    const mailer = new FileMailer({ from: FROM, dir });
    const first = await mailer.send(mail('ada@example.test', 'n-1'));
    const again = await Promise.all([mailer.send(mail('ada@example.test', 'n-1')), mailer.send(mail('ada@example.test', 'n-1')), mailer.send(mail('ada@example.test', 'n-2'))]);
    expect(again[0]).toEqual(first);
    expect(again[1]).toEqual(first);
    // A second mailer (another process, a restart) finds the file too.
    await expect(new FileMailer({ from: FROM, dir }).send(mail('ada@example.test', 'n-1'))).resolves.toEqual(first);
    const files = (await readdir(dir)).sort();
    expect(files).toHaveLength(2);
    expect(files.filter((f) => f.endsWith('-n-1.eml'))).toHaveLength(1);
    expect(files.filter((f) => f.endsWith('-n-2.eml'))).toHaveLength(1);
    await mailer.close();
  });

  it('rejects an unusable recipient and reports an unwritable directory as temporary', async () => {
    const mailer = new FileMailer({ from: FROM, dir });
    await expect(mailer.send(mail('nobody', 'n-x'))).resolves.toMatchObject({ status: 'REJECTED' });
    // The "directory" is a file: nothing can be created under it (ENOTDIR), whoever runs the test.
    await writeFile(join(dir, 'not-a-dir'), 'x');
    const blocked = new FileMailer({ from: FROM, dir: join(dir, 'not-a-dir', 'mail') });
    const err = await temporary(blocked.send(mail('ada@example.test', 'n-y')));
    expect(err.code).toBe('ENOTDIR');
  });

  it('createMailer picks SMTP when a URL is set', async () => {
    const m = createMailer({ smtpUrl: 'smtp://127.0.0.1:25', from: FROM, mailDir: dir });
    expect(m.kind).toBe('smtp');
    await m.close();
  });
});
