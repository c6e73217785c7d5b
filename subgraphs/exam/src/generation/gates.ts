// The quality gates every kept exam item passes, whichever generator proposed it. A teacher sees
// only what survives them, so each rule guards against a fault a teacher would notice: a quote the
// book does not contain, an answer key the quote does not back, two options that say the same thing,
// an option that gives itself away by its form, the same question twice, or an exercise from the
// book passed off as an exam question. Rejections carry short stable codes for logs and evaluation.
import type { CandidateItem, SourcePassage } from './types.ts';

export type GateResult = { ok: true } | { ok: false; reason: string };

export interface GateContext {
  passages: SourcePassage[];
  kept: CandidateItem[];
}

/**
 * Two prompts at or above this similarity count as the same question asked twice. Rewordings of one
 * question ("Explain X." / "Describe X.", "What causes X?" / "What is the cause of X?") score 1;
 * questions about neighbouring terms that share most words ("total number of protons in an atom" /
 * "total number of protons and neutrons in an atom") score about 0.6 and stay apart, because their
 * word pairs differ.
 */
export const NEAR_DUPLICATE_THRESHOLD = 0.7;

const STOP = new Set(
  ('a about above after again all also am an and any are as at be because been before being below between both but by can could did do does doing down during each few for from further had has have having he her here hers him his how i if in into is it its itself just me more most my no nor not now of off on once only or other our out over own same she should so some such than that the their theirs them then there these they this those through to too under until up very was we were what when where which who whom why will with would you your yours').split(
    ' ',
  ),
);

// Words that frame a question rather than say what it is about: two questions that differ only in
// these ask the same thing ("Explain …" / "Describe …", "Which term …" / "What is the name …").
const FRAME = new Set(
  ('according best blank briefly called choose complete completes correct define defined definition describe description discuss explain fill following give identify match matches option own sentence term').split(' '),
);

/** Whitespace collapsed to single spaces, ends trimmed: how quotes are compared with the book. */
export function collapse(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** A light singular: "tuples" and "tuple", "classes" and "class", "properties" and "property" meet. */
function stem(w: string): string {
  if (w.length <= 3 || !w.endsWith('s') || /(?:ss|us|is)$/.test(w)) return w;
  if (w.length > 4 && w.endsWith('ies')) return `${w.slice(0, -3)}y`;
  if (/(?:xes|ches|shes|sses|zes)$/.test(w)) return w.slice(0, -2);
  return w.slice(0, -1);
}

/** Lower-case content words, lightly stemmed ("errors" → "error"); stopwords dropped. */
export function contentWords(text: string): string[] {
  return (text.toLowerCase().normalize('NFKC').match(/[a-z][a-z0-9_]*/g) ?? []).filter((w) => w.length > 1 && !STOP.has(w)).map(stem);
}

/**
 * Code-like text: a call, an operator, brackets, a dotted or snake_case name. Options must be all
 * code or all prose, or the odd one out gives itself away.
 */
export function isCodeLike(s: string): boolean {
  return /[()[\]{}=<>*/%#@]|\b[a-z]\w*_\w|\b[a-z]\w*\.[a-z_]\w*/.test(s.trim());
}

// Book exercises and question boxes: copying them into an exam would hand out the book's own
// homework (or a question without its figure) as if it were a new question.
const EXERCISE = /\b(?:Write a program|Write a function|Run the program|Try It\b|Checkpoint\b|Concepts in Practice|Review Questions|Critical Thinking Questions|Visual Connection|Art Connection|Programming practice)/i;

/** True when the text is (or quotes) an exercise instruction or a question box of the book. */
export function isExerciseText(s: string): boolean {
  return EXERCISE.test(collapse(s));
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** True when `term` occurs in `text` as a whole word or phrase, ignoring case. */
export function containsTerm(text: string, term: string): boolean {
  const t = collapse(term);
  if (!t) return false;
  return new RegExp(`(?<![\\w])${escapeRe(t)}(?![\\w])`, 'i').test(collapse(text));
}

/** How options are compared for distinctness: case, spacing, edge punctuation and plural -s aside. */
export function normaliseOption(s: string): string {
  return collapse(s)
    .toLowerCase()
    .replace(/['’]s\b/g, '')
    .replace(/^[\s"'“”‘’.,;:!?]+|[\s"'“”‘’.,;:!?]+$/g, '')
    .split(' ')
    .map(stem)
    .join(' ');
}

/** What an item was made from, comparable across generators: lower case, flattened, no final stop. */
export function normaliseOrigin(s: string): string {
  return collapse(s.normalize('NFKC').toLowerCase()).replace(/[\s.,;:!?]+$/, '');
}

/** Lower case, Unicode-normalised, whitespace collapsed, final punctuation dropped. */
export function normalisePrompt(s: string): string {
  return collapse(s.normalize('NFKC').toLowerCase().replace(/[“”]/g, '"').replace(/[‘’]/g, "'")).replace(/[\s?.!:]+$/, '');
}

// Every candidate is compared with every kept item: each prompt's words are worked out once.
const promptWordCache = new Map<string, string[]>();
function promptWords(s: string): string[] {
  let words = promptWordCache.get(s);
  if (!words) {
    if (promptWordCache.size > 5000) promptWordCache.clear();
    words = contentWords(normalisePrompt(s)).filter((w) => !FRAME.has(w));
    promptWordCache.set(s, words);
  }
  return words;
}

const jaccard = (a: Set<string>, b: Set<string>) => {
  if (!a.size && !b.size) return 0;
  let both = 0;
  for (const x of a) if (b.has(x)) both++;
  return both / (a.size + b.size - both);
};

/**
 * Similarity of two prompts in 0..1: the mean of the Jaccard similarity of their content-word sets
 * and of their sets of adjacent content-word pairs, after normalisation and without question-frame
 * words. Words alone would merge questions about neighbouring terms; pairs alone would miss a
 * reordered rewording; the mean needs both to agree. A prompt with a single content word is compared
 * on words only.
 */
export function promptSimilarity(a: string, b: string): number {
  const wa = promptWords(a);
  const wb = promptWords(b);
  const words = jaccard(new Set(wa), new Set(wb));
  if (wa.length < 2 || wb.length < 2) return words;
  const pairs = (w: string[]) => new Set(w.slice(1).map((x, i) => `${w[i]} ${x}`));
  return (words + jaccard(pairs(wa), pairs(wb))) / 2;
}

// Passage texts with whitespace collapsed, computed once per passage object.
const collapsedText = new WeakMap<SourcePassage, string>();
const flat = (p: SourcePassage) => {
  let t = collapsedText.get(p);
  if (t === undefined) {
    t = collapse(p.text);
    collapsedText.set(p, t);
  }
  return t;
};

/** True when the quote stands word for word (whitespace aside) in a passage of the stated book and pages. */
export function quoteIsVerbatim(item: CandidateItem, passages: SourcePassage[]): boolean {
  const q = collapse(item.source.quote);
  if (!q) return false;
  const { bookId, pageStart, pageEnd } = item.source;
  return passages.some((p) => p.bookId === bookId && p.pageStart <= pageStart && p.pageEnd >= pageEnd && flat(p).includes(q));
}

/**
 * The correct option is backed by the quote when it stands in it as a phrase, or (for a generator
 * that paraphrases) when every content word of it occurs in the quote; an option with no content
 * word (a number, a symbol) must stand in the quote as written.
 */
export function supportedBy(option: string, quote: string): boolean {
  if (containsTerm(quote, option) || collapse(quote).toLowerCase().includes(collapse(option).toLowerCase())) return true;
  const words = contentWords(option);
  if (!words.length) return false;
  const inQuote = new Set(contentWords(quote));
  return words.every((w) => inQuote.has(w));
}

export function gateItem(item: CandidateItem, ctx: GateContext): GateResult {
  const no = (reason: string): GateResult => ({ ok: false, reason });
  if (!collapse(item.prompt)) return no('empty-prompt');
  if (!Number.isInteger(item.points) || item.points < 1) return no('bad-points');
  const texts = [item.prompt, item.source.quote, ...item.options, item.modelAnswer ?? '', ...item.rubric];
  if (texts.some(isExerciseText)) return no('exercise-text');

  if (item.type === 'MULTIPLE_CHOICE') {
    const n = item.options.length;
    if (n < 2 || n > 6) return no('option-count');
    if (item.correctIndex === null || !Number.isInteger(item.correctIndex) || item.correctIndex < 0 || item.correctIndex >= n) return no('correct-option-count');
    const norm = item.options.map(normaliseOption);
    if (norm.some((o) => !o) || new Set(norm).size !== n) return no('options-not-distinct');
    const code = item.options.map(isCodeLike);
    if (code.some((c) => c !== code[0])) return no('options-mixed-kind');
    if (!supportedBy(item.options[item.correctIndex]!, item.source.quote)) return no('correct-not-supported');
  } else {
    if (item.options.length || item.correctIndex !== null) return no('short-answer-has-options');
    if (!item.modelAnswer || !collapse(item.modelAnswer) || !item.rubric.length || item.rubric.some((r) => !collapse(r))) return no('answer-missing');
  }

  if (!quoteIsVerbatim(item, ctx.passages)) return no('quote-not-verbatim');
  const origin = normaliseOrigin(item.origin);
  if (ctx.kept.some((k) => normaliseOrigin(k.origin) === origin)) return no('same-origin');
  if (ctx.kept.some((k) => promptSimilarity(k.prompt, item.prompt) >= NEAR_DUPLICATE_THRESHOLD)) return no('near-duplicate-prompt');
  return { ok: true };
}
