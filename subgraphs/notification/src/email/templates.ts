// Emails for notifications. Titles, bodies, course names and display names are typed by users (an
// announcement is a teacher's free text), so they are data everywhere: escaped in HTML, stripped of
// line breaks in the subject (a header), and never allowed to supply a link of their own.
import type { NotificationKind } from '@ai-teacher/shared';

export interface EmailNotification {
  kind: NotificationKind;
  title: string;
  body: string;
  courseLabel: string | null;
}

export interface EmailRecipient {
  email: string;
  displayName: string | null;
}

export interface EmailSettings {
  appName: string;
  appUrl: string;
  unsubscribeUrl: string;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/** Longest subject, in characters: mail clients cut far shorter, and a whole announcement does not belong in a header. */
export const SUBJECT_MAX = 140;

interface KindTemplate {
  /** Why this email came: the first thing after the greeting. */
  reason(course: string | null): string;
  /** Label of the button / link into the app. */
  action: string;
  /** What the recipient is subscribed to, for the footer. */
  topic: string;
}

function inCourse(course: string | null): string {
  return course ? ` in ${course}` : '';
}

const TEMPLATES: Record<NotificationKind, KindTemplate> = {
  BOOK_READY: {
    reason: (c) => `A book${inCourse(c)} is ready to study.`,
    action: 'Start studying',
    topic: 'books that are ready',
  },
  BOOK_FAILED: {
    reason: (c) => `A book${inCourse(c)} could not be processed.`,
    action: 'See what went wrong',
    topic: 'books that could not be processed',
  },
  EXAM_READY_FOR_REVIEW: {
    reason: (c) => `An exam draft${inCourse(c)} is ready for your review.`,
    action: 'Review the exam',
    topic: 'exams waiting for review',
  },
  EXAM_PUBLISHED: {
    reason: (c) => `A new exam has been published${inCourse(c)}.`,
    action: 'Open the exam',
    topic: 'new exams',
  },
  EXAM_RESULTS: {
    reason: (c) => `Your exam results${c ? ` for ${c}` : ''} are available.`,
    action: 'See your results',
    topic: 'exam results',
  },
  ENROLLED: {
    reason: (c) => (c ? `You have been enrolled in ${c}.` : 'You have been enrolled in a course.'),
    action: 'Open the course',
    topic: 'enrollments',
  },
  ANNOUNCEMENT: {
    reason: (c) => (c ? `An announcement from your teacher in ${c}.` : 'An announcement from your teacher.'),
    action: 'Open the course',
    topic: 'announcements from teachers',
  },
};

// Control characters are exactly what these patterns are for: CR/LF would start a new header line,
// the rest (and bidi overrides, which can make text read differently than it is) render unpredictably.
// eslint-disable-next-line no-control-regex
const ANY_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** One line of user text: every control, CR/LF included, becomes a space; runs of space collapse. */
function oneLine(s: string): string {
  return s.replace(ANY_CONTROL, ' ').replace(/\s+/g, ' ').trim();
}

/** Multi-line user text: line breaks normalised to \n, tabs to spaces, other controls dropped. */
function multiLine(s: string): string {
  return s.replace(/\r\n?/g, '\n').replace(/\t/g, '  ').replace(CONTROL_BUT_NEWLINE, '').trim();
}

/** Cut at a code point (never inside a surrogate pair), with an ellipsis. */
function truncate(s: string, max: number): string {
  const chars = Array.from(s);
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('').trimEnd()}…`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"'`=]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Escaped text with its line breaks kept. */
function htmlLines(s: string): string {
  return escapeHtml(s).replace(/\n/g, '<br>\n');
}

/** Only http(s) links are ever emitted, so a mis-set URL cannot become a `javascript:` link. */
function safeUrl(url: string): string | null {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
  } catch {
    return null;
  }
}

export function renderEmail(n: EmailNotification, to: EmailRecipient, opts: EmailSettings): RenderedEmail {
  const t = TEMPLATES[n.kind];
  const appName = oneLine(opts.appName) || 'AI Teacher';
  const course = n.courseLabel === null ? null : oneLine(n.courseLabel) || null;
  const name = to.displayName === null ? '' : oneLine(to.displayName);
  const title = oneLine(n.title);
  const body = multiLine(n.body);
  const reason = t.reason(course);
  const appUrl = safeUrl(opts.appUrl);
  const unsubscribeUrl = safeUrl(opts.unsubscribeUrl);
  const greeting = name ? `Hello ${name},` : 'Hello,';

  // The course in brackets tells the reader who is speaking before a teacher's own words do.
  const subjectText = title || reason;
  const subject = truncate(course ? `[${course}] ${subjectText}` : subjectText, SUBJECT_MAX);

  const footerText = `You get this email because email notifications about ${t.topic} are on in ${appName}.`;

  const text = [
    greeting,
    '',
    reason,
    '',
    ...(title ? [title, ''] : []),
    ...(body ? [body, ''] : []),
    ...(appUrl ? [`${t.action}: ${appUrl}`, ''] : []),
    '-- ',
    footerText,
    unsubscribeUrl ? `To stop these emails or change your notification preferences: ${unsubscribeUrl}` : `To stop these emails, change your notification preferences in ${appName}.`,
    '',
  ].join('\n');

  const font = "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";
  const html = [
    '<!doctype html>',
    '<html lang="en">',
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">',
    `<title>${escapeHtml(subject)}</title></head>`,
    `<body style="margin:0;padding:0;background:#f4f5f7;${font};color:#1f2933">`,
    '<div style="max-width:560px;margin:0 auto;padding:24px">',
    '<div style="background:#ffffff;border-radius:8px;padding:24px">',
    `<p style="margin:0 0 16px">${escapeHtml(greeting)}</p>`,
    `<p style="margin:0 0 16px;color:#52606d">${escapeHtml(reason)}</p>`,
    title ? `<h1 style="margin:0 0 12px;font-size:20px;line-height:1.3">${escapeHtml(title)}</h1>` : '',
    body ? `<p style="margin:0 0 20px;line-height:1.5">${htmlLines(body)}</p>` : '',
    appUrl
      ? `<p style="margin:0"><a href="${escapeHtml(appUrl)}" style="display:inline-block;background:#2563eb;color:#ffffff;text-decoration:none;padding:10px 18px;border-radius:6px">${escapeHtml(t.action)}</a></p>`
      : '',
    '</div>',
    `<p style="margin:16px 0 0;font-size:12px;line-height:1.5;color:#7b8794">${escapeHtml(footerText)}<br>`,
    unsubscribeUrl
      ? `<a href="${escapeHtml(unsubscribeUrl)}" style="color:#7b8794">Unsubscribe or change your notification preferences</a>`
      : `To stop these emails, change your notification preferences in ${escapeHtml(appName)}.`,
    '</p>',
    '</div>',
    '</body>',
    '</html>',
    '',
  ]
    .filter((line) => line !== '')
    .join('\n');

  return { subject, text, html };
}
