// Terms and what the book says they are: definitions in running text, "Key Terms" glossaries,
// function and module reference tables.
import { contentWords, escapeRe, isCodeLike, normaliseOption } from '../text.ts';
import { type Book, lineWords, type Unit } from './book.ts';
import type { Sentence } from './sentences.ts';

export interface Term {
  /** As shown in an option. */
  display: string;
  /** For comparing terms: "Isotopes" and "isotope" are one term. */
  key: string;
  code: boolean;
  /** Code: the called name ("len" for "len(string)"); two options never share one. */
  name: string | null;
  words: number;
  plural: boolean;
  unit: Unit;
  /** Other names the book gives the same thing ("(also, noble gas)"): never a distractor for it. */
  aliases: string[];
  /**
   * Where the term was found: defined by the text, a subheading, a function the text only names,
   * or a module of a module table (module names are options only among themselves).
   */
  from: 'definition' | 'heading' | 'mention' | 'module';
}

export type Style = 'sentence' | 'glossary' | 'function' | 'statement' | 'module';

export interface Definition {
  term: Term;
  style: Style;
  prompt: string;
  quote: string;
  book: Book;
  start: number;
  end: number;
  position: number;
  score: number;
}

const DETERMINERS = new Set(
  'a an the this that these those it its they them there here each every some many most all both other another such one two three four five first second third last next previous following same former latter only main new we you he she i his her their our your my any no several few various certain'.split(' '),
);
// Words that do not occur inside a term: a subject holding them is a clause, not a name
// ("Errors may result when mistakes", "If ndigits", "Since named replacement fields").
export const FUNCTION_WORDS = new Set([
  ...DETERMINERS,
  ...'is are was were be been being am do does did has have had can could may might must shall should will would and or but nor not so yet if when whenever while since because although though unless until after before as at by for from in into on onto to with without about over under than then also just very too what which who whom whose why how where often usually typically generally sometimes always never frequently neither either'.split(' '),
]);
// Nouns that are not terms a student learns: "The difference between … is …" defines nothing named.
const GENERIC = new Set(
  'result example difference reason goal purpose point idea answer question problem solution step way thing part rest people person case kind form use amount lot advantage benefit disadvantage task job fact chapter section book figure table today introduction summary scientist researcher biologist physiologist chemist programmer user student author reader'.split(' '),
);
export const AUXILIARIES = new Set('is are was were can cannot must may might should will would does do did has have'.split(' '));
const PYTHON_KEYWORDS = new Set('if else elif for while in not and or is with try except finally return break continue import from def class pass del raise global lambda yield as'.split(' '));
const TERM_WORD = /^[A-Za-z][A-Za-z0-9'’-]*$/;
const CODE_TOKEN = /^[A-Za-z_][\w.]*\([^()]*\)$/;

const termKey = (s: string) => normaliseOption(s);
const codeName = (s: string) => /^([A-Za-z_][\w.]*)\(/.exec(s)?.[1] ?? null;

/** Whether the words make a term a student could be asked to name. */
export function termLike(raw: string): boolean {
  const words = raw.split(' ');
  if (!words.length || words.length > 5) return false;
  if (words.length === 1 && CODE_TOKEN.test(words[0]!)) return true;
  const lower = words.map((w) => w.toLowerCase());
  if (!words.every((w) => TERM_WORD.test(w))) return false;
  // Keywords name code constructs: "if statement", "for loop", "in operator" are terms.
  const construct = (i: number) => PYTHON_KEYWORDS.has(lower[i]!) && /^(?:statements?|loops?|keywords?|clauses?|operators?|blocks?)$/.test(lower[i + 1] ?? '');
  if (lower.some((w, i) => (w === 'of' ? i === 0 || i === words.length - 1 : FUNCTION_WORDS.has(w) && !construct(i)))) return false;
  if (words.length - lower.filter((w) => w === 'of').length > 4) return false;
  if (words.length === 1 && GENERIC.has(lower[0]!.replace(/s$/, ''))) return false;
  // A gerund with its object is an activity, not a term ("making mistakes", "finding drugs").
  if (words.length > 1 && /^[a-z]{2,}ing$/.test(lower[0]!) && !['string', 'thing', 'spring', 'ring', 'king', 'wing'].includes(lower[0]!)) return false;
  // Possessives name a property of something ("water's high heat capacity"), not a term.
  if (words.some((w) => /['’]s$/.test(w))) return false;
  if (contentWords(raw).length === 0) return false;
  // Proper names: several capitalised words.
  if (words.length > 1 && words.slice(1).some((w) => /^[A-Z][a-z]/.test(w)) && /^[A-Z][a-z]/.test(words[0]!)) return false;
  return true;
}

// How a predicate defines its subject. "X is a/an/the …", "X is used to …", "X refers to …" name
// what X is; "X is useful", "X is evaluated by …", "X is the most common …" only say something about
// it, which makes a question whose blank many terms could fill.
const WEAK_START = new Set(
  'also not very more less most often usually typically generally sometimes always never useful available essential important based related able likely similar different equal same true false found made written given done seen shown taken set one now then still just only too so all both each over in on at by for from to with of neither either those these that which its their his her our weak strong'.split(' '),
);
const WEAK_AFTER_ARTICLE = new Set(['most', 'best', 'same', 'only', 'first', 'last', 'example', 'result', 'good', 'common', 'other', 'following', 'next', 'important', 'essential', 'major', 'natural']);

function predicateStrength(verb: string, rest: string[]): number | null {
  if (['refers', 'refer', 'occurs', 'occur', 'means'].includes(verb)) return 3;
  const w = (rest[0] ?? '').toLowerCase().replace(/[,;:]$/, '');
  if (['used', 'defined', 'called', 'known'].includes(w)) return 3;
  if (['a', 'an', 'the', 'any', 'anything', 'something'].includes(w)) return WEAK_AFTER_ARTICLE.has((rest[1] ?? '').toLowerCase()) ? null : 3;
  // "X are special methods that …" says what X are; "X are hydrophobic (…)", "X are responsible for
  // …", "X are weak and …" only describe them: a noun must follow the first word.
  const next = rest[1] ?? '';
  const nounFollows = /^[a-z][a-z-]*$/.test(next) && !FUNCTION_WORDS.has(next) && next !== 'of';
  if (verb === 'are' && /^[a-z]+$/.test(rest[0] ?? '') && !WEAK_START.has(w) && !/(?:ed|ly)$/.test(w) && nounFollows) return 2;
  if (verb !== 'is' && verb !== 'are') return 2.5;
  return null;
}

/** "Traceback" at the start of a sentence is shown as "traceback" when the book writes it so. */
export function display(raw: string, book: Book): string {
  const first = raw.split(' ')[0] ?? '';
  const lower = first.toLowerCase();
  // "Cations" opening a sentence is "cations" when the book writes "cation" in lower case, or
  // never capitalises it inside a sentence ("Sorting", where "Python" is a name).
  if (/^[A-Z][a-z'’-]*$/.test(first) && (book.lower.has(lower) || book.lower.has(lower.replace(/e?s$/, '')) || book.lower.has(`${lower}s`) || !book.upper.has(first))) return raw[0]!.toLowerCase() + raw.slice(1);
  return raw;
}

/** `initial`: the term opens its sentence, so its capital may be the sentence's, not the term's. */
/** A plural noun phrase ("magic methods", "isomers"), not "class", "analysis" or "status". */
export const isPlural = (s: string) => /[^s]s$/.test(s) && !/(?:us|is)$/.test(s);

export function makeTerm(raw: string, unit: Unit, book: Book, plural: boolean, opts: { aliases?: string[]; initial?: boolean; from?: Term['from'] } = {}): Term {
  const shown = isCodeLike(raw) || opts.initial === false ? raw : display(raw, book);
  return { display: shown, key: termKey(shown), code: isCodeLike(shown), name: codeName(shown), words: shown.split(' ').length, plural: plural || (!isCodeLike(shown) && isPlural(shown)), unit, aliases: (opts.aliases ?? []).map(termKey), from: opts.from ?? 'definition' };
}

const BLANK = '____';

// What may stand beside a blank as one item of a list: a short phrase without clause punctuation.
const ITEM = String.raw`(?!(?:which|that|who|whom|where|when|while|because|since|although|though|if|unless|for|so|but)\b)(?:[^,;:.]|\.(?=\S)){1,40}`;

/**
 * The occurrence at [at, at + length) is one item of an enumeration ("such as ____, input(), and
 * float()", "____, values(), and items()", "A, B, or C"), or stands beside another function in a
 * pair ("____ and upper()"): any other item of the same kind would fill the blank as well.
 */
function inEnumeration(sentence: string, at: number, length: number): boolean {
  const before = sentence.slice(0, at);
  const after = sentence.slice(at + length);
  // "such as ____", "including ____, …": an open list of examples.
  if (/\b(?:such as|including|includes?|like|e\.g\.,?|for example,?)\s+(?:the\s+)?$/i.test(before)) return true;
  // Comma lists closed by "and"/"or" ("A, B, and C"), with the blank first, inside or last.
  if (new RegExp(String.raw`^(?:\s*\([^)]*\))?,\s+(?:${ITEM},\s+)+(?:and|or)\s+\S`).test(after)) return true;
  if (new RegExp(String.raw`,\s+(?:and|or)\s+(?:the\s+)?$`).test(before) && new RegExp(String.raw`\S,\s+(?:${ITEM},\s+)*$`).test(before.replace(/,\s+(?:and|or)\s+(?:the\s+)?$/, ', '))) return true;
  if (new RegExp(String.raw`\S,\s+$`).test(before) && new RegExp(String.raw`^(?:\s*\([^)]*\))?,?\s+(?:(?:${ITEM}),\s+)*(?:and|or)\s+\S`).test(after)) return true;
  // A pair of calls: "the lower() and ____ methods", "____ or pop()".
  const call = String.raw`[A-Za-z_][\w.]*\([^()]*\)`;
  if (new RegExp(String.raw`${call}\s+(?:and|or)\s+(?:the\s+)?$`).test(before) || new RegExp(String.raw`^\s+(?:and|or)\s+(?:the\s+)?${call}`).test(after)) return true;
  return false;
}

/**
 * The sentence with every occurrence of the term blanked; null if the term still shows through,
 * or if an occurrence is one item of a list (then the blank has more than one answer).
 */
export function blankOut(sentence: string, term: string): string | null {
  const re = new RegExp(`(?<![\\w])${escapeRe(term)}(?![\\w])`, 'gi');
  const hits = [...sentence.matchAll(re)];
  if (!hits.length || hits.some((m) => inEnumeration(sentence, m.index, m[0].length))) return null;
  const out = sentence.replace(re, BLANK).replace(/\b([Aa])n? ____/g, '$1(n) ____');
  const left = new Set(contentWords(out));
  const words = contentWords(term);
  if (words.length && words.every((w) => left.has(w))) return null;
  return out;
}

// "… is called a round-off error.", "… known as the loop body, …", "We define specific heat as …".
const NAMING = /(?:\b(?:is|are|be|been|was|were)\s+(?:also\s+|[a-z]+ly\s+)?(?:called|known as|referred to as|termed)|,\s+(?:called|known as)|\brefers? to [a-z][a-z -]{2,60}? as)\s+(?:(?:a|an|the)\s+)?/g;
const SUBJECT_VERBS = new Set(['is', 'are', 'refers', 'refer', 'occurs', 'occur', 'means', 'describes', 'describe']);

/**
 * "The response is …", "The enzyme may …": a definite subject of one ordinary word points at one
 * thing of the surrounding text (the answer in an example, the enzyme just described), not at a
 * term in general. Several words ("The periodic table", "The data science life cycle") or a name
 * ("The TIOBE index") make a term of their own.
 */
export const definiteOne = (raw: string) => !raw.includes(' ') && /^[a-z]/.test(raw) && !isCodeLike(raw);

// Several passes ask what a sentence defines (definitions, rubric points): answered once per sentence.
const defined = new WeakMap<Sentence, { raw: string; plural: boolean; score: number } | null>();

export function defineFromSentence(s: Sentence): { raw: string; plural: boolean; score: number } | null {
  let d = defined.get(s);
  if (d === undefined) {
    d = definitionIn(s);
    defined.set(s, d);
  }
  return d;
}

function definitionIn(s: Sentence): { raw: string; plural: boolean; score: number } | null {
  const t = s.text;
  // A term named after its description.
  for (const m of /called|known as|referred to|termed|refers? to/.test(t) ? t.matchAll(NAMING) : []) {
    const rest = t.slice(m.index + m[0].length).split(' ');
    const words: string[] = [];
    for (const w of rest) {
      const bare = w.replace(/[.,;:)"”’]+$/, '');
      if (!bare || words.length >= 4 || (words.length && DETERMINERS.has(bare.toLowerCase())) || ['or', 'and', 'in', 'because', 'when', 'that', 'which', 'to', 'for', 'with', 'by'].includes(bare.toLowerCase())) break;
      if (bare.startsWith('(')) break;
      words.push(bare);
      if (bare !== w) break;
    }
    const raw = words.join(' ').replace(/^["“]|["”]$/g, '');
    // The description must be there: "They are called X." names, but says nothing to ask about.
    if (raw && termLike(raw) && lineWords(t.slice(0, m.index + m[0].length)) >= 5) return { raw, plural: /\bare\b|\bwere\b/.test(m[0]), score: 3 };
  }
  const we = /^We define (.{2,60}?) as (.+)$/.exec(t);
  if (we && termLike(we[1]!) && lineWords(we[2]!) >= 4) return { raw: we[1]!, plural: false, score: 3 };

  // A term at the start, then what it is.
  const tokens = t.split(' ');
  let a = 0;
  if (tokens[0] === 'In' && tokens[1] === 'Python,') a = 2;
  const article = ['A', 'An', 'The', 'a', 'an', 'the'].includes(tokens[a]!) ? tokens[a++]!.toLowerCase() : null;
  for (let v = a + 1; v <= a + 5 && v < tokens.length; v++) {
    const verb = tokens[v]!;
    // "A dictionary in Python is …": the term is "dictionary".
    const subject = tokens.slice(a, v).join(' ').replace(/ in Python$/, '').split(' ');
    const code = subject.filter((w) => CODE_TOKEN.test(w));
    const isVerb = SUBJECT_VERBS.has(verb) && (!/^refers?$/.test(verb) || tokens[v + 1] === 'to') && (!/^occurs?$/.test(verb) || tokens[v + 1] === 'when');
    const codeSubject = code.length === 1 && subject.every((w) => CODE_TOKEN.test(w) || /^(?:Python's|built-in|function|method|operator|keyword|statement)$/.test(w));
    const codeVerb = codeSubject && /^[a-z]+s$/.test(verb);
    if (!isVerb && !codeVerb) continue;
    if (code.length && !codeSubject) return null;
    const predicate = tokens.slice(v + 1);
    if (predicate.length < 4) return null;
    const raw = code.length === 1 ? code[0]! : subject.join(' ');
    if (!termLike(raw) || (article === 'the' && definiteOne(raw))) return null;
    const strength = codeVerb && !isVerb ? 2.5 : predicateStrength(verb, predicate);
    if (strength === null) return null;
    return { raw, plural: verb === 'are', score: strength };
  }
  return null;
}

/** Function reference rows: "len(string) Returns the length (the number of characters) of a string." */
export function defineFromRow(line: string): { raw: string; quote: string; description: string } | null {
  const m = /^((?:[a-z_]\w*\.)*[a-z_]\w*\([^()]*\))\s+([A-Z][a-z]+s)\b(.*)$/.exec(line);
  // Calls with literal arguments are examples ("date(2023, 2, 14)"), not the function.
  if (!m || /[\d"']/.test(m[1]!)) return null;
  const rest = `${m[2]}${m[3]}`;
  const end = rest.search(/\.(?:\s|$)/);
  if (end < 0) return null;
  const description = rest.slice(0, end + 1);
  const name = codeName(m[1]!)!;
  if (lineWords(description) < 4 || new RegExp(`(?<![\\w.])${name.replace(/\./g, '\\.')}\\(`).test(description)) return null;
  return { raw: m[1]!, quote: `${m[1]} ${description}`, description };
}

interface GlossaryEntry {
  term: string;
  definition: string;
  aliases: string[];
  start: number;
  end: number;
}

/**
 * A "Key Terms" block: a term line, then its definition. The definition runs on to the next line
 * only when its line is long (wrapped at the margin), and the terms are in alphabetical order;
 * both are needed, because a wrapped tail ("system", "other molecules") looks like a term and a
 * proportional font makes line length alone unreliable. The parse with the most entries that keeps
 * both rules (penalising each breach) is taken.
 */
export function parseGlossary(lines: string[]): Array<{ term: string; definition: string; first: number; last: number }> {
  const n = lines.length;
  if (!n) return [];
  const maxLen = Math.max(...lines.map((l) => l.length));
  const termShaped = (l: string) => lineWords(l) <= 6 && l.length <= 48 && !/[.;:,]$/.test(l) && !/;/.test(l) && !/^[(\-–]/.test(l);
  const long = (l: string) => l.length >= 0.7 * maxLen;
  const key = (l: string) => l.toLowerCase().normalize('NFKD').replace(/[^a-z0-9 ]/g, '').trim();
  const best: Array<{ score: number; take: number } | null> = new Array(n + 1).fill(null);
  best[n] = { score: 0, take: 0 };
  for (let i = n - 1; i >= 0; i--) {
    if (!termShaped(lines[i]!)) continue;
    for (let take = 1; take <= 4 && i + take < n; take++) {
      const next = i + 1 + take;
      const after = best[next];
      if (!after) continue;
      let score = 1 + after.score;
      for (let k = i + 1; k < i + take; k++) if (!long(lines[k]!)) score -= 2;
      if (next < n && key(lines[next]!) < key(lines[i]!)) score -= 2;
      if (!best[i] || score > best[i]!.score) best[i] = { score, take };
    }
  }
  let i = best.findIndex((b, k) => b !== null && k < n);
  const out: Array<{ term: string; definition: string; first: number; last: number }> = [];
  while (i >= 0 && i < n && best[i]) {
    const take = best[i]!.take;
    out.push({ term: lines[i]!, definition: lines.slice(i + 1, i + 1 + take).join(' '), first: i, last: i + take });
    i += 1 + take;
  }
  return out;
}

export function glossaryOf(book: Book): Array<GlossaryEntry & { unit: Unit }> {
  const out: Array<GlossaryEntry & { unit: Unit }> = [];
  let i = 0;
  while (i < book.lines.length) {
    const unit = book.info[i]!.unit;
    if (book.info[i]!.role !== 'glossary' || !unit) {
      i++;
      continue;
    }
    let j = i;
    while (j < book.lines.length && book.info[j]!.role === 'glossary' && book.info[j]!.unit === unit) j++;
    for (const e of parseGlossary(book.lines.slice(i, j))) {
      const alias = /^\(also,?\s+([^)]+)\)\s*/.exec(e.definition);
      const see = /^see\s+(.+)$/.exec(e.definition);
      out.push({
        term: e.term,
        definition: alias ? e.definition.slice(alias[0].length) : e.definition,
        aliases: see ? [see[1]!] : alias ? alias[1]!.split(/,\s*|\s+or\s+/) : [],
        start: i + e.first,
        end: i + e.last,
        unit,
      });
    }
    i = j;
  }
  return out;
}

// What leads a definition into its class: "type of covalent bond that …" is a covalent bond.
const GENUS_LEAD = /^(?:(?:a|an|the|any|one)\s+)?(?:(?:type|kind|form|class|group|subset|member|variety|version)s? of\s+)?(?:(?:a|an|the)\s+)?/i;
const GENUS_STOP = new Set([...FUNCTION_WORDS, 'that', 'which', 'who', 'whose', 'where', 'of', 'used', 'formed', 'composed', 'comprised', 'consisting', 'containing', 'having', 'leading', 'resulting', 'made', 'found', 'called', 'including', 'between', 'within', 'through']);

/**
 * What a definition says its term is a kind of, as term keys: "reaction that links monomer
 * molecules …" → "reaction", "chemical reaction where reactants …" → "chemical reaction", "a
 * recursive algorithm used to …" → "recursive algorithm"; and a class it names later: "catalyst …
 * that is usually a complex or conjugated protein" → also "protein", "chemical signaling molecule,
 * usually protein or steroid, …" → also "protein", "steroid".
 */
export function genusOf(definition: string): string[] {
  const out: string[] = [];
  const lead = leadingGenus(definition);
  if (lead) out.push(lead);
  const later = /\b(?:that|which) (?:is|are) (?:usually |often |typically |generally )?(?:an? )?(?:[a-z-]+ ){0,2}?(?:or [a-z-]+ )?([a-z-]+)$/.exec(definition.replace(/[.;].*$/, ''));
  if (later) out.push(termKey(later[1]!));
  const usually = /, (?:usually|often|typically) ([a-z-]+)(?: or ([a-z-]+))?,/.exec(definition);
  if (usually) out.push(...[usually[1]!, usually[2]].filter((w): w is string => Boolean(w)).map(termKey));
  return out;
}

function leadingGenus(definition: string): string | null {
  const words = definition.replace(GENUS_LEAD, '').split(/\s+/);
  const out: string[] = [];
  for (const w of words) {
    const bare = w.toLowerCase().replace(/[,;:]$/, '');
    if (!/^[a-z][a-z-]*$/.test(bare) || GENUS_STOP.has(bare) || out.length >= 3) break;
    out.push(bare);
    if (bare !== w.toLowerCase()) break;
  }
  // A verb ("describes uncharged nonpolar molecules") or an adverb opens no noun phrase.
  if (!out.length || /^(?:describes?|refers?|occurs?|means?|includes?|contains?)$|ly$/.test(out[0]!)) return null;
  return termKey(out.join(' '));
}

/**
 * Whether the term `u` is, by the book's definitions (`genus`: what each term is said to be a
 * kind of), a kind of `t`: "polar covalent bond" of "covalent bond", "cation" ("positive ion that
 * …") of "ion". A bare class word stands for every term named with it, unless `u`'s own name
 * carries that word: hydrolysis ("reaction that …") may be any "… reaction", while an "infinite
 * loop" ("loop that …") is a loop, not a "for loop".
 */
const classCache = new WeakMap<Map<string, string[]>, Map<string, Set<string>>>();

/** What a term is a kind of, a few steps up the book's classes: a trans fat is a fat, and fats are lipids. */
function classesOf(key: string, genus: Map<string, string[]>): Set<string> {
  let known = classCache.get(genus);
  if (!known) {
    known = new Map();
    classCache.set(genus, known);
  }
  let classes = known.get(key);
  if (!classes) {
    classes = new Set(genus.get(key) ?? []);
    for (let step = 0; step < 2; step++) for (const g of [...classes]) for (const up of genus.get(g) ?? []) classes.add(up);
    known.set(key, classes);
  }
  return classes;
}

/** Whether the book puts both terms in one class ("carbohydrate" and "protein": biological macromolecules). */
export function sameKind(u: Term, t: Term, genus: Map<string, string[]>): boolean {
  const mine = classesOf(t.key, genus);
  return [...classesOf(u.key, genus)].some((g) => mine.has(g));
}

export function kindOf(u: Term, t: Term, genus: Map<string, string[]>): boolean {
  const head = t.key.split(' ').at(-1)!;
  const named = u.key.split(' ').at(-1)!;
  return [...classesOf(u.key, genus)].some((g) => g === t.key || g.endsWith(` ${t.key}`) || (!g.includes(' ') && g === head && t.key !== g && named !== g));
}

/** The items of a list ("fats, oils, waxes, phospholipids, and steroids"), each as a term key. */
function listItems(list: string): string[] {
  return list
    .replace(/[.;:].*$/, '')
    .split(/,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+/)
    .map((p) => {
      // An item is its leading noun phrase: "polysaccharides depending on the number of …".
      const words: string[] = [];
      for (const w of p.replace(/\s*\([^)]*\)/g, '').replace(/^(?:the|a|an)\s+/i, '').trim().split(/\s+/)) {
        if (!/^[A-Za-z][\w'’-]*$/.test(w) || FUNCTION_WORDS.has(w.toLowerCase()) || (words.length && /ing$/.test(w))) break;
        words.push(w);
      }
      return words.join(' ');
    })
    .filter((p) => p && p.split(' ').length <= 4)
    .map(termKey);
}

/**
 * Kinds the sentence lists of a class, as [class, kinds]: "Lipids include fats, oils, waxes, …",
 * "Scientists classify carbohydrates as monosaccharides, disaccharides, and polysaccharides",
 * "Starch, glycogen, … are primary examples of polysaccharides", "The two main types of nucleic
 * acids are DNA and RNA". A kind fits whatever the book says of its class.
 */
export function kindsIn(sentence: string): Array<[string, string[]]> {
  const out: Array<[string, string[]]> = [];
  const add = (parent: string, list: string) => {
    const kinds = listItems(list);
    if (kinds.length >= 2 && contentWords(parent).length) out.push([termKey(parent.replace(/^(?:the|a|an)\s+/i, '')), kinds]);
  };
  const include = /^(?:The )?([A-Z][\w-]*(?: [a-z][\w-]*){0,2}) include (.+)$/.exec(sentence);
  if (include) add(include[1]!, include[2]!);
  const classify = /\bclassify ([a-z][\w-]*(?: [a-z][\w-]*){0,2}) as (.+)$/.exec(sentence);
  if (classify) add(classify[1]!, classify[2]!);
  const examples = /^(.+?) are (?:\w+ )?examples of ([a-z][\w-]*(?: [a-z][\w-]*){0,2})\.$/.exec(sentence);
  if (examples) add(examples[2]!, examples[1]!);
  const types = /\b(?:types|kinds|classes|forms) of ([a-z][\w-]*(?: [a-z][\w-]*){0,2}) are (.+)$/.exec(sentence);
  if (types) add(types[1]!, types[2]!);
  return out;
}

// "X is also called Y", "X are also known as Y or Z", "X (also, Y)", "X (or Y)", "X, also known as Y,".
const ALSO = /\b(?:is|are)\s+also\s+(?:called|known as|referred to as|termed)\s+|\s*\((?:also(?: known as| called)?,?|or|aka|i\.e\.,?)\s+|,\s+(?:also known as|also called|aka)\s+/g;

/** The noun phrase of up to four words that ends where `text` ends (determiners dropped). */
function phraseBefore(text: string): string {
  const out: string[] = [];
  for (const w of text.trim().split(/\s+/).reverse()) {
    const bare = w.replace(/^["“(]|["”),]$/g, '');
    if (!/^[A-Za-z][\w'’-]*$/.test(bare) || FUNCTION_WORDS.has(bare.toLowerCase()) || out.length >= 4 || w.endsWith(',')) break;
    out.unshift(bare);
  }
  return out.join(' ');
}

/** The noun phrases after a synonym marker: "triacylglycerols or triglycerides" gives both. */
function phrasesAfter(text: string): string[] {
  const out: string[] = [];
  let words: string[] = [];
  for (const w of text.replace(/^(?:a|an|the)\s+/i, '').split(/\s+/)) {
    const bare = w.replace(/^["“]|["”.,;:)]+$/g, '');
    if (bare === 'or' || bare === 'and') {
      if (words.length) out.push(words.join(' '));
      words = [];
      continue;
    }
    if (!/^[A-Za-z][\w'’-]*$/.test(bare) || (words.length && DETERMINERS.has(bare.toLowerCase())) || FUNCTION_WORDS.has(bare.toLowerCase()) || words.length >= 4) break;
    words.push(bare);
    if (/["”.,;:)]$/.test(w)) break;
  }
  if (words.length) out.push(words.join(' '));
  return out;
}

/**
 * Names the sentence gives as one ("Magic methods are also called dunder methods", "dehydration (or
 * condensation) reactions", "(also, noble gas)"), as groups of term keys. A synonym the book states
 * is never a wrong option for its partner: it would be a second correct answer.
 */
export function synonymsIn(sentence: string): string[][] {
  const out: string[][] = [];
  for (const m of sentence.matchAll(ALSO)) {
    let left = phraseBefore(sentence.slice(0, m.index));
    // "Fats are a stored form of energy and are also known as …": the subject is what is renamed.
    if (!left || /^(?:and|or)$/i.test(sentence.slice(0, m.index).trim().split(' ').at(-1) ?? '')) left = phraseBefore(sentence.split(/\s+(?:is|are)\s+/)[0] ?? '');
    const right = phrasesAfter(sentence.slice(m.index + m[0].length));
    const group = [left, ...right].filter((p) => p && contentWords(p).length).map(termKey);
    if (group.length > 1) out.push(group);
  }
  return out;
}
