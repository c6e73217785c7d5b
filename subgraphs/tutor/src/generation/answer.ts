import type { StoredAnswer, TutorMode } from '../entities/chat.entity.ts';
import type { GroundingPassage } from './grounding.ts';
import { contentWords, isVerbatim, sentences } from './text.ts';

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

const HEADINGS = ['summary', 'explanation', 'steps', 'example', 'check questions', 'sources'] as const;
type Heading = (typeof HEADINGS)[number];

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
    const h = line.match(/^\s*#{1,4}\s*([A-Za-z ]+?)\s*:?\s*$/);
    const name = h?.[1]?.toLowerCase() as Heading | undefined;
    if (name && HEADINGS.includes(name)) {
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
  const cite = (n: number, quote: string | null) => {
    const p = passages[n - 1];
    if (!p) return;
    const verbatim = quote && isVerbatim(quote, [p.text]) ? quote.replace(/\s+/g, ' ').trim() : closestSentence(quote ?? get('summary'), p.text);
    if (!citations.some((c) => c.bookId === p.bookId && c.quote === verbatim)) citations.push({ bookId: p.bookId, pageStart: p.pageStart, pageEnd: p.pageEnd, quote: verbatim });
  };
  for (const line of items('sources')) {
    const m = line.match(/^\[?(\d+)\]?\s*[:\-–]?\s*["“]?(.*?)["”]?\s*$/);
    if (m) cite(Number(m[1]), m[2] || null);
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
    citations: citations.slice(0, 5),
    generator: 'LLM',
    cached: false,
    grounded: true,
  };
}

const stripMarkers = (s: string) => s.replace(/\s*\[\d+\]/g, '').trim();

function closestSentence(target: string, passage: string): string {
  const want = new Set(contentWords(target));
  let best = sentences(passage)[0] ?? passage.slice(0, 200);
  let bestScore = -1;
  for (const s of sentences(passage)) {
    const score = contentWords(s).filter((w) => want.has(w)).length;
    if (score > bestScore) {
      best = s;
      bestScore = score;
    }
  }
  return best;
}
