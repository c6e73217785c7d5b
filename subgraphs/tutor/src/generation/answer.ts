import type { StoredAnswer, TutorMode } from '../entities/chat.entity.ts';
import type { GroundingPassage } from './grounding.ts';
import { contentWords, sentences, squash } from './text.ts';

/**
 * Does the course material cover the question? The best passage must contain more than half of
 * the content words of the question's prose (or at least 3 of them); code in the question is
 * ignored. Measured with `npm run eval:tutor`: 90 % of the Python textbook's dev questions count
 * as covered (most of the rest are short questions about program fragments), 83 % of Biology's;
 * 1 of 24 off-topic questions slips through. Search always returns *something*;
 * this keeps the tutor from dressing up an unrelated passage as an answer.
 */
export function coverage(question: string, passages: GroundingPassage[]): { covered: boolean; best: number } {
  const terms = [...new Set(contentWords(proseOf(question)).filter((t) => !/[_\d]/.test(t)))];
  if (!passages.length) return { covered: false, best: 0 };
  if (!terms.length) return { covered: true, best: 1 }; // only code or symbols: let the passages speak
  let best = 0;
  let bestMatched = 0;
  for (const p of passages) {
    const words = new Set(contentWords(`${p.section ?? ''} ${p.text}`));
    const matched = terms.filter((t) => words.has(t)).length;
    if (matched / terms.length > best) {
      best = matched / terms.length;
      bestMatched = matched;
    }
  }
  return { covered: best > 0.5 || bestMatched >= 3, best };
}

/** The question without its code lines (identifiers in code say nothing about the topic). */
function proseOf(question: string): string {
  return question
    .split('\n')
    .filter((line) => !/[=(){}[\]]|:\s*$|^\s{2,}/.test(line) || /[a-z]{3,} [a-z]{3,} [a-z]{3,}/i.test(line))
    .map((line) => line.replace(/\S*[=(){}[\]]\S*/g, ' '))
    .join(' ');
}

export function notInMaterial(generator: StoredAnswer['generator']): StoredAnswer {
  return {
    summary: 'This is not in your course material.',
    explanation:
      'I searched the books of this course and found nothing that answers this question, so I will not guess. Try asking with the words your course uses, or ask your teacher.',
    steps: [],
    example: null,
    checkQuestions: [],
    citations: [],
    generator,
    cached: false,
    grounded: false,
  };
}

const pages = (c: { pageStart: number; pageEnd: number }) => (c.pageStart === c.pageEnd ? `p. ${c.pageStart}` : `pp. ${c.pageStart}–${c.pageEnd}`);

/** The answer as readable text: what streams to the client and is kept as the message content. */
export function renderAnswer(a: StoredAnswer, mode: TutorMode): string {
  const parts = [a.summary, a.explanation];
  if (a.steps.length) parts.push(`${mode === 'EXPLAIN' ? 'Steps' : mode === 'SOCRATIC' ? 'Guiding questions' : 'Questions'}:\n${a.steps.map((s, i) => `${i + 1}. ${s}`).join('\n')}`);
  if (a.example) parts.push(`Example:\n${a.example}`);
  if (a.checkQuestions.length && mode !== 'QUIZ_ME') parts.push(`Check your understanding:\n${a.checkQuestions.map((q) => `- ${q}`).join('\n')}`);
  if (a.citations.length) parts.push(`Sources:\n${a.citations.map((c) => `- ${pages(c)}: “${c.quote}”`).join('\n')}`);
  return parts.join('\n\n');
}

const MAX_CITATIONS = 5;
const HEADINGS = ['summary', 'explanation', 'steps', 'example', 'check questions', 'sources'] as const;
export type Heading = (typeof HEADINGS)[number];

/**
 * Parses a model's answer written under the headings the prompt asks for. Citations must quote a
 * retrieved passage word for word: a quote that is not verbatim is replaced by the sentence of the
 * cited passage closest to it, and citations of passages that do not exist are dropped.
 */
export function parseModelAnswer(text: string, passages: GroundingPassage[]): StoredAnswer {
  if (/^\s*NOT IN MATERIAL\b/i.test(text)) return { ...notInMaterial('LLM') };
  const sections = new Map<Heading, string>();
  let current: Heading | null = null;
  const preamble: string[] = [];
  for (const line of text.split('\n')) {
    const name = headingOf(line);
    if (name) {
      current = name;
      sections.set(name, '');
      continue;
    }
    if (current) sections.set(current, `${sections.get(current)}${line}\n`);
    else preamble.push(line);
  }
  const get = (h: Heading) => (sections.get(h) ?? '').trim();
  const items = (h: Heading) =>
    get(h)
      .split('\n')
      .map((l) => l.replace(/^\s*(?:\d+[.)]|[-*•])\s*/, '').trim())
      .filter(Boolean);

  const citations: StoredAnswer['citations'] = [];
  // Each passage's sentences are read once, however many Sources lines cite it.
  const sentencesOf = new Map<number, PassageSentences>();
  const cite = (n: number, quote: string | null) => {
    const p = passages[n - 1];
    if (!p) return;
    let ofPassage = sentencesOf.get(n);
    if (!ofPassage) sentencesOf.set(n, (ofPassage = passageSentences(p.text)));
    // Verbatim: the quote appears in the passage word for word, whitespace aside.
    const squashed = quote ? squash(quote) : '';
    const verbatim = squashed && ofPassage.squashed.includes(squashed) ? squashed : closestSentence(quote ?? get('summary'), ofPassage);
    if (!citations.some((c) => c.bookId === p.bookId && c.quote === verbatim)) citations.push({ bookId: p.bookId, pageStart: p.pageStart, pageEnd: p.pageEnd, quote: verbatim });
  };
  for (const line of items('sources')) {
    if (citations.length >= MAX_CITATIONS) break; // later lines could only add citations that are cut
    const source = sourceLine(line);
    if (source) cite(source.n, source.quote || null);
  }
  if (!citations.length) for (const m of text.matchAll(/\[(\d+)\]/g)) cite(Number(m[1]), null);
  if (!citations.length && passages[0]) cite(1, null);

  const summary = get('summary') || preamble.join(' ').trim() || text.trim().split('\n')[0]!;
  return {
    summary: stripMarkers(summary),
    explanation: stripMarkers(get('explanation') || (sections.size ? '' : text.trim())),
    steps: items('steps').map(stripMarkers),
    example: get('example') || null,
    checkQuestions: items('check questions').map(stripMarkers),
    citations: citations.slice(0, MAX_CITATIONS),
    generator: 'LLM',
    cached: false,
    grounded: true,
  };
}

// The model's text is untrusted input (a prompt can make a model write any line), so everything
// that reads it runs in time linear in its length. Headings and Sources lines are read by scanning,
// not by the patterns used before: `^\s*#{1,4}\s*([A-Za-z ]+?)\s*:?\s*$` backtracked cubically
// (measured: 3.5 s on "#", 300 spaces and "!"; ~96 s with 1,000 spaces), and so did
// `^\[?(\d+)\]?\s*[:\-–]?\s*["“]?(.*?)["”]?\s*$` on "[1]", spaces and "x\ry"; `\s*\[\d+\]`
// (markers) was quadratic in a run of spaces. The patterns left have no two quantifiers that can
// match the same characters one after the other. answer.spec.ts times hostile answers and checks
// that the scanners agree with the old patterns on 30,000 random short lines.

const LONGEST_HEADING = Math.max(...HEADINGS.map((h) => h.length));

/**
 * The heading a line names, or null: up to 4 `#`, the name (ASCII letters and spaces, any case),
 * an optional colon, whitespace anywhere around them ("## Summary", "#check questions:").
 */
export function headingOf(line: string): Heading | null {
  const t = line.trim();
  let hashes = 0;
  while (hashes < t.length && t[hashes] === '#') hashes++;
  if (hashes < 1 || hashes > 4) return null;
  let name = t.slice(hashes);
  if (name.endsWith(':')) name = name.slice(0, -1);
  name = name.trim();
  // The length check comes first: the pattern then only ever sees a few characters.
  if (name.length > LONGEST_HEADING || !/^[A-Za-z ]+$/.test(name)) return null;
  const lower = name.toLowerCase();
  return HEADINGS.find((h) => h === lower) ?? null;
}

/**
 * A line of the Sources section: the passage number and the quote, as in `[2] "quote"`,
 * `2: quote`, `[2] – “quote”` (brackets, separator and quotation marks optional); null without a
 * number. Reads what `^\[?(\d+)\]?\s*[:\-–]?\s*["“]?(.*?)["”]?\s*$` matched, in one pass.
 */
export function sourceLine(line: string): { n: number; quote: string } | null {
  let i = line[0] === '[' ? 1 : 0;
  const digits = i;
  while (i < line.length && isDigit(line[i]!)) i++;
  if (i === digits) return null;
  const n = Number(line.slice(digits, i));
  if (line[i] === ']') i++;
  i = skipSpace(line, i);
  if (line[i] === ':' || line[i] === '-' || line[i] === '–') i++;
  i = skipSpace(line, i);
  if (line[i] === '"' || line[i] === '“') i++;
  let quote = line.slice(i).trimEnd();
  if (quote.endsWith('"') || quote.endsWith('”')) quote = quote.slice(0, -1);
  // The pattern's `.` stops at line terminators other than \n: such a quote was no citation.
  if (/[\r\u2028\u2029]/.test(quote)) return null;
  return { n, quote };
}

/** The text without [n] markers and the whitespace before each. */
export function stripMarkers(s: string): string {
  const parts = s.split(/\[\d+\]/);
  return parts
    .map((part, i) => (i < parts.length - 1 ? part.trimEnd() : part))
    .join('')
    .trim();
}

const isDigit = (c: string) => c >= '0' && c <= '9';
const isSpace = (c: string) => c.trim() === '';

function skipSpace(s: string, i: number): number {
  while (i < s.length && isSpace(s[i]!)) i++;
  return i;
}

interface PassageSentences {
  /** The passage with its whitespace squashed, for verbatim checks. */
  squashed: string;
  first: string;
  sentences: { text: string; words: string[] }[];
}

function passageSentences(passage: string): PassageSentences {
  const list = sentences(passage).map((text) => ({ text, words: contentWords(text) }));
  return { squashed: squash(passage), first: list[0]?.text ?? passage.slice(0, 200), sentences: list };
}

function closestSentence(target: string, passage: PassageSentences): string {
  const want = new Set(contentWords(target));
  let best = passage.first;
  let bestScore = -1;
  for (const s of passage.sentences) {
    const score = s.words.filter((w) => want.has(w)).length;
    if (score > bestScore) {
      best = s.text;
      bestScore = score;
    }
  }
  return best;
}
