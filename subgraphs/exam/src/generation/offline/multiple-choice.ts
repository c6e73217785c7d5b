// Multiple-choice items: a term the book defines, asked from its definition, with other terms of
// the same chapter as the wrong options.
import { contentWords, escapeRe, normaliseOrigin } from '../text.ts';
import type { CandidateItem } from '../types.ts';
import type { Analysis } from './analysis.ts';
import { holder } from './book.ts';
import { jitter, random, shuffle } from './seeded.ts';
import type { Ranked } from './spread.ts';
import { type Definition, isPlural, kindOf, sameKind, type Term } from './terms.ts';

/** Whether the quote already names the term (then it cannot be a wrong answer to its question). */
function inQuote(quote: string, quoteWords: Set<string>, t: Term): boolean {
  if (phrase(t.display).test(quote)) return true;
  if (t.code) return t.name !== null && called(t.name).test(quote);
  return wordsOf(t.display).every((w) => quoteWords.has(w));
}

// A term's words, worked out once: every term is checked against many quotes.
const termWords = new Map<string, string[]>();
function wordsOf(display: string): string[] {
  let words = termWords.get(display);
  if (!words) {
    if (termWords.size > 5000) termWords.clear();
    words = contentWords(display);
    termWords.set(display, words);
  }
  return words;
}

// Compiled once per phrase: the same terms are looked for in many quotes.
const phrases = new Map<string, RegExp>();
const phrase = (p: string) => {
  let re = phrases.get(p);
  if (!re) {
    re = new RegExp(`(?<![\\w])${escapeRe(p)}(?![\\w])`, 'i');
    phrases.set(p, re);
  }
  return re;
};
const calls = new Map<string, RegExp>();
const called = (name: string) => {
  let re = calls.get(name);
  if (!re) {
    re = new RegExp(`(?<![\\w.])${escapeRe(name)}\\(`);
    calls.set(name, re);
  }
  return re;
};

const jaccard = (a: Set<string>, b: Set<string>) => {
  let both = 0;
  for (const x of a) if (b.has(x)) both++;
  return both ? both / (a.size + b.size - both) : 0;
};

/** Modules the sentence names ("import math", "the math module", "math.sqrt()"), with their import aliases. */
function modulesNamed(sentence: string, aliases: Map<string, string>): Set<string> {
  const out = new Set<string>();
  for (const m of sentence.matchAll(/\bimport ([a-z_]\w*)|\b([A-Za-z_]\w*) (?:module|library|package)\b|(?<![\w.])([a-z_]\w*)\.[a-z_]\w*\(/g)) {
    const name = (m[1] ?? m[2] ?? m[3])!.toLowerCase();
    out.add(name);
    const alias = aliases.get(name);
    if (alias) out.add(alias);
  }
  return out;
}

/** The share of `a`'s words that `b` holds. */
const covered = (a: Set<string>, b: Set<string>) => {
  let both = 0;
  for (const x of a) if (b.has(x)) both++;
  return a.size ? both / a.size : 0;
};

const nested = (a: string, b: string) => ` ${a} `.includes(` ${b} `) || ` ${b} `.includes(` ${a} `);

/**
 * Up to three wrong options: other terms of the same chapter and kind (code or not), none of which
 * would answer the question too: none named in the quote, none a part or a whole of the answer
 * ("covalent bond" / "polar covalent bond"), none another name the book gives it, a kind of it or
 * what it is a kind of, none of which the book says what the question says, and no function of a
 * module the sentence is about. Terms of the same section, of similar length and grammatical number
 * are preferred; the seed breaks ties.
 */
function distractors(d: Definition, a: Analysis, seed: string): string[] {
  const t = d.term;
  const pool = a.pool.get(t.unit.chapter) ?? [];
  const text = a.chapterText.get(t.unit.chapter) ?? '';
  const synonyms = a.synonyms.get(t.key);
  // A function of a module the sentence is about fits it as well as the answer ("To call ____, a
  // program must import math": math.pow() needs the import too).
  const modules = modulesNamed(d.quote.split(t.display).join(' '), a.moduleAliases);
  // Every option in the number of the answer ("____ are …" takes plurals), in a form the chapter
  // itself uses; a term it never writes so is left out of sentences, ranked down elsewhere.
  const want = !t.code && t.from !== 'module' && d.style !== 'function' ? isPlural(t.display) : null;
  const form = (u: Term) => {
    if (want === null || u.code || isPlural(u.display) === want) return u.display;
    const other = inflect(u.display, want);
    return other && inText(text, other) ? other : null;
  };
  const said = new Set(contentWords(d.prompt));
  const quoteWords = new Set(contentWords(d.quote));
  // The book says the same of it: most words of one claim in the other, or most of what the
  // question says ("____ can be made of elements of any type" of tuples: "… can contain elements
  // of different types").
  const sameClaim = (u: Term) => (a.claims.get(u.key) ?? []).some((c) => jaccard(c, said) >= 0.4 || covered(said, c) >= 0.6);
  // A name the book gives the answer ("dunder methods" for "magic methods"), a kind of it or what
  // it is a kind of ("hydrolysis" and "chemical reaction") would answer the question too.
  // A statement, unlike a definition, often says what is as true of the answer's neighbours: of
  // the term a heading names beside it ("Break and continue"), or of another kind of the same class
  // ("Carbohydrates also have other important functions …": proteins, too, are macromolecules).
  const alike = (u: Term) =>
    synonyms?.has(u.key) ||
    a.synonyms.get(u.key)?.has(t.key) ||
    kindOf(u, t, a.genus) ||
    kindOf(t, u, a.genus) ||
    (d.style === 'statement' && (a.siblings.get(t.key)?.has(u.key) || sameKind(u, t, a.genus)));
  const prefix = (x: Term) => (x.name?.includes('.') ? x.name.split('.')[0]! : '');
  const scored = pool
    .filter((u) => u.code === t.code && u.key !== t.key && !t.aliases.includes(u.key) && !u.aliases.includes(t.key))
    // A module name among terms (or a term among module names) stands out.
    .filter((u) => (u.from === 'module') === (t.from === 'module'))
    .filter((u) => (t.code ? u.name !== t.name : !nested(u.key, t.key)) && !inQuote(d.quote, quoteWords, u) && !sameClaim(u) && !alike(u))
    .filter((u) => !u.code || !modules.has(prefix(u)))
    .map((u) => {
      let score = -0.75 * Math.abs(u.words - t.words) + (u.unit === t.unit ? 1.5 : 0) + jitter(seed, `${d.quote}\u0000${u.key}`);
      const shown = form(u);
      if (shown === null) score -= d.style === 'glossary' ? 1.5 : 100;
      if (t.code) score += (prefix(u) === prefix(t) ? 1 : 0) + (/\(\)$/.test(u.display) === /\(\)$/.test(t.display) ? 0.5 : 0) - (u.from === 'mention' ? 1 : 0);
      return { u, score, shown: shown ?? u.display };
    })
    .sort((x, y) => y.score - x.score);
  const out: Term[] = [];
  const shown: string[] = [];
  for (const c of scored) {
    if (out.length >= 3 || c.score < -50) break;
    // Two wrong options that name one thing ("magic methods", "dunder methods") tell the student both are wrong.
    if (out.some((o) => o.key === c.u.key || (o.name !== null && o.name === c.u.name) || nested(o.key, c.u.key) || a.synonyms.get(o.key)?.has(c.u.key))) continue;
    out.push(c.u);
    shown.push(c.shown);
  }
  return shown;
}

const seenIn = new Map<string, Map<string, boolean>>();
function inText(text: string, p: string): boolean {
  let known = seenIn.get(text);
  if (!known) {
    known = new Map();
    // Bounded: one entry per chapter text of the analyses alive at once.
    if (seenIn.size > 64) seenIn.clear();
    seenIn.set(text, known);
  }
  let hit = known.get(p);
  if (hit === undefined) {
    hit = phrase(p).test(text);
    known.set(p, hit);
  }
  return hit;
}

/** The noun phrase in the other number (its last word inflected); null where a rule would guess. */
function inflect(display: string, plural: boolean): string | null {
  const words = display.split(' ');
  const last = words.at(-1)!;
  let other: string | null;
  if (plural) {
    if (/(?:ic|al|ous|ive|ful|ed|ing|ism|ics)$/.test(last)) other = null;
    else if (/[^aeiou]y$/.test(last)) other = `${last.slice(0, -1)}ies`;
    else if (/(?:s|x|z|ch|sh)$/.test(last)) other = `${last}es`;
    else other = `${last}s`;
  } else if (/ies$/.test(last) && last.length > 4) other = `${last.slice(0, -3)}y`;
  else if (/(?:sses|xes|zes|ches|shes)$/.test(last)) other = last.slice(0, -2);
  else other = last.slice(0, -1);
  return other ? [...words.slice(0, -1), other].join(' ') : null;
}

const lowerFirst = (s: string) => (/^[A-Z][a-z]/.test(s) ? s[0]!.toLowerCase() + s.slice(1) : s);

function mcPrompt(d: Definition): string {
  if (d.style === 'glossary') return `Which term matches this definition: "${d.prompt}"?`;
  if (d.style === 'function') return `Which of these ${lowerFirst(d.prompt).replace(/\.$/, '')}?`;
  if (d.style === 'module') return `Which module matches this description: "${d.prompt}"?`;
  return `${d.term.code ? 'Which of these' : 'Which term'} completes the sentence? "${d.prompt}"`;
}

/**
 * One question per source sentence; per term, the strongest question that has its wrong options
 * comes first (tier 0), further ones on the same term only when the text has nothing else left.
 */
export function multipleChoice(a: Analysis, seed: string): Ranked[] {
  const out: Ranked[] = [];
  const origins = new Set<string>();
  const asked = new Set<string>();
  const strongest = [...a.definitions].sort((x, y) => y.score - x.score || x.book.order - y.book.order || x.position - y.position);
  for (const d of strongest) {
    const origin = normaliseOrigin(d.quote);
    if (origins.has(origin)) continue;
    const wrong = distractors(d, a, seed);
    if (wrong.length < 2) continue;
    const passage = holder(d.book, d.start, d.end);
    if (!passage) continue;
    origins.add(origin);
    const term = `${d.book.order}:${d.term.code ? d.term.name : d.term.key}`;
    const tier = asked.has(term) ? 1 : 0;
    asked.add(term);
    const options = shuffle([d.term.display, ...wrong], random(`${seed}\u0000${d.quote}`));
    const item: CandidateItem = {
      type: 'MULTIPLE_CHOICE',
      prompt: mcPrompt(d),
      options,
      correctIndex: options.indexOf(d.term.display),
      modelAnswer: null,
      rubric: [],
      points: 1,
      source: { bookId: d.book.bookId, pageStart: passage.pageStart, pageEnd: passage.pageEnd, quote: d.quote },
      origin,
    };
    out.push({ key: origin, make: (used) => (used.has(origin) ? null : item), unit: d.term.unit, book: d.book.order, position: d.position, score: d.score, tier });
  }
  return out;
}
