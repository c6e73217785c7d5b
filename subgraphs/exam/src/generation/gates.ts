// The quality gates every kept exam item passes, whichever generator proposed it. A teacher sees
// only what survives them, so each rule guards against a fault a teacher would notice: a quote the
// book does not contain, an answer key the quote does not back, two options that say the same thing,
// an option that gives itself away by its form, the same question twice (or two questions on one
// sentence of the book), or an exercise from the book passed off as an exam question. Rejections carry short stable codes for logs and evaluation.
import { collapse, containsTerm, contentWords, isCodeLike, isExerciseText, normaliseOption, normaliseOrigin, normalisePrompt, splitSentences } from './text.ts';
import type { CandidateItem, SourcePassage } from './types.ts';

// Importers of the gates compare prompts the way the near-duplicate gate does.
export { normalisePrompt } from './text.ts';

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

// Words that frame a question rather than say what it is about: two questions that differ only in
// these ask the same thing ("Explain …" / "Describe …", "Which term …" / "What is the name …").
const FRAME = new Set(
  ('according best blank briefly called choose complete completes correct define defined definition describe description discuss explain fill following give identify match matches option own sentence term').split(' '),
);

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

/**
 * The sentences of the book an item is built on, normalised as origins are: its origin, its quote,
 * its rubric points and the sentences of its model answer. One sentence is one question: a
 * fill-in-the-blank item on a definition and a short answer whose rubric quotes that definition
 * ask the same thing twice, and a student who meets the one has been given the other.
 */
export function itemSentences(item: CandidateItem): Set<string> {
  const out = new Set<string>();
  const add = (s: string) => {
    const n = normaliseOrigin(s);
    if (n) out.add(n);
  };
  add(item.origin);
  add(item.source.quote);
  for (const r of item.rubric) add(r);
  for (const s of splitSentences(collapse(item.modelAnswer ?? ''))) add(s);
  return out;
}

// Kept items are compared with every later candidate: their sentences are worked out once.
const keptSentenceCache = new WeakMap<CandidateItem, Set<string>>();
function keptSentences(item: CandidateItem): Set<string> {
  let set = keptSentenceCache.get(item);
  if (!set) {
    set = itemSentences(item);
    keptSentenceCache.set(item, set);
  }
  return set;
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
  const own = itemSentences(item);
  if (ctx.kept.some((k) => [...keptSentences(k)].some((s) => own.has(s)))) return no('same-sentence');
  if (ctx.kept.some((k) => promptSimilarity(k.prompt, item.prompt) >= NEAR_DUPLICATE_THRESHOLD)) return no('near-duplicate-prompt');
  return { ok: true };
}
