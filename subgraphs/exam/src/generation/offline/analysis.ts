// One request's passages read once for both item types: the books, their sentences, the terms
// each chapter defines (and what it says they are), and the learning objectives.
import { collapse, containsTerm, contentWords, escapeRe, isCodeLike, normaliseOption } from '../text.ts';
import type { SourcePassage } from '../types.ts';
import { type Book, lineWords, readBook, type Unit } from './book.ts';
import { type Objective, objectivesOf } from './objectives.ts';
import { exampleNames, type Sentence, sentencesOf, usable } from './sentences.ts';
import {
  AUXILIARIES,
  blankOut,
  type Definition,
  defineFromRow,
  defineFromSentence,
  definiteOne,
  FUNCTION_WORDS,
  genusOf,
  glossaryOf,
  isPlural,
  kindsIn,
  makeTerm,
  synonymsIn,
  type Term,
  termLike,
} from './terms.ts';

export interface Analysis {
  books: Book[];
  definitions: Definition[];
  /** Terms by chapter, for distractors. */
  pool: Map<string, Term[]>;
  /** Content words of what the book says of each term (by term key). */
  claims: Map<string, Set<string>[]>;
  /** Other names the book gives each term (by term key): never a wrong option for it. */
  synonyms: Map<string, Set<string>>;
  /** What the book's definitions say each term is a kind of (by term key). */
  genus: Map<string, string[]>;
  /** Terms one heading names together ("Division and modulo", "Break and continue statements"). */
  siblings: Map<string, Set<string>>;
  /** Module names and the aliases programs import them under ("np" for "numpy"), both ways. */
  moduleAliases: Map<string, string>;
  /** The prose of each chapter, for checking that an inflected term is the book's own. */
  chapterText: Map<string, string>;
  objectives: Objective[];
  byUnit: Map<Unit, Sentence[]>;
  summaries: Sentence[];
}

const analyses = new WeakMap<SourcePassage[], Analysis>();

const push = <K, V>(map: Map<K, V[]>, key: K, value: V) => {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
};

export function analyse(passages: SourcePassage[]): Analysis {
  const cached = analyses.get(passages);
  if (cached) return cached;
  const byBook = new Map<string, SourcePassage[]>();
  for (const p of passages) push(byBook, p.bookId, p);

  const books: Book[] = [];
  const sentences: Sentence[] = [];
  const definitions: Definition[] = [];
  const objectives: Objective[] = [];
  const pool = new Map<string, Term[]>();
  // Chapters with a "Key Terms" glossary, and the terms (and their other names) it lists.
  const keyTerms = new Map<string, Set<string>>();
  const synonyms = new Map<string, Set<string>>();
  const genus = new Map<string, string[]>();
  const moduleAliases = new Map<string, string>();
  const siblings = new Map<string, Set<string>>();
  const addTerm = (t: Term) => {
    const list = pool.get(t.unit.chapter) ?? [];
    if (!list.some((u) => u.key === t.key)) list.push(t);
    pool.set(t.unit.chapter, list);
  };
  const addSynonyms = (group: string[]) => {
    for (const a of group) for (const b of group) if (a !== b) synonyms.set(a, (synonyms.get(a) ?? new Set()).add(b));
  };
  const addGenus = (key: string, definition: string) => {
    for (const g of genusOf(definition)) if (g !== key) push(genus, key, g);
  };

  [...byBook].forEach(([bookId, ps], order) => {
    const book = readBook(bookId, order, ps);
    books.push(book);
    const own = sentencesOf(book, sentences.length);
    sentences.push(...own);
    objectives.push(...objectivesOf(book));
    for (const s of own) {
      if (/\balso\b|\((?:or|aka|i\.e\.)|\baka\b/.test(s.text)) for (const group of synonymsIn(s.text)) addSynonyms(group);
      if (/\b(?:include|classify|examples of|types of|kinds of|classes of|forms of)\b/.test(s.text)) for (const [parent, kinds] of kindsIn(s.text)) for (const k of kinds) if (k !== parent) push(genus, k, parent);
    }
    for (const line of book.lines) if (line.includes('import ')) for (const m of line.matchAll(/\bimport ([a-z_]\w*) as ([a-z_]\w*)/g)) moduleAliases.set(m[1]!, m[2]!).set(m[2]!, m[1]!);

    // The book's worked examples name classes and functions of their own: no terms of the course.
    const examples = exampleNames(book);
    const exampleClasses = new Set([...examples.classes].map((c) => c.toLowerCase()));
    const example = (t: Term) => (t.code ? t.name !== null && examples.functions.has(t.name.split('.').at(-1)!) : exampleClasses.has(t.key));

    const ownByUnit = new Map<Unit, Sentence[]>();
    for (const s of own) push(ownByUnit, s.unit, s);
    for (const s of own) {
      if (!usable(s)) continue;
      const d = defineFromSentence(s);
      if (!d || restated(s, d.raw, ownByUnit.get(s.unit) ?? [])) continue;
      const term = makeTerm(d.raw, s.unit, book, d.plural, { initial: s.text.startsWith(d.raw) });
      const prompt = example(term) ? null : blankOut(s.text, d.raw);
      if (!prompt) continue;
      // Proper names ("TIOBE", "Python") make trivia questions: asked only when nothing else is left.
      const name = !term.code && /^[A-Z]/.test(term.display) ? 1 : 0;
      definitions.push({ term, style: 'sentence', prompt, quote: s.text, book, start: s.start, end: s.end, position: s.position, score: d.score - (s.summary ? 0.5 : 0) - name });
      const predicate = new RegExp(`^(?:In Python, )?(?:(?:A|An|The) )?${escapeRe(d.raw)} (?:is|are) (.+)$`, 'i').exec(s.text);
      if (predicate) addGenus(term.key, predicate[1]!);
    }
    for (const g of glossaryOf(book)) {
      const term = makeTerm(g.term, g.unit, book, false, { aliases: g.aliases });
      const listed = keyTerms.get(g.unit.chapter) ?? new Set<string>();
      keyTerms.set(g.unit.chapter, listed);
      // "deoxyribonucleic acid (DNA)" lists both names.
      const named = /^(.+?) \(([^()]+)\)$/.exec(g.term);
      for (const k of named ? [named[1]!, named[2]!] : [g.term]) listed.add(makeTerm(k, g.unit, book, false).key);
      if (!termLike(g.term) && !term.code) continue;
      for (const alias of term.aliases) listed.add(alias);
      if (term.aliases.length) addSynonyms([term.key, ...term.aliases]);
      if (/^see\s/.test(g.definition) || lineWords(g.definition) < 3 || containsTerm(g.definition, g.term)) {
        addTerm(term);
        continue;
      }
      addGenus(term.key, g.definition);
      const quote = collapse(book.lines.slice(g.start, g.end + 1).join(' '));
      definitions.push({ term, style: 'glossary', prompt: g.definition, quote, book, start: g.start, end: g.end, position: g.start, score: 2.75 });
    }
    let table: string | null = null;
    book.lines.forEach((line, i) => {
      const unit = book.info[i]!.unit;
      if (book.info[i]!.role !== 'prose' || !unit) return;
      // "Module Description" tables: "random Generate pseudo-random numbers."
      const header = /^(Module|Function|Method) Description$/.exec(line);
      if (header) {
        table = header[1]!.toLowerCase();
        return;
      }
      const entry = table === 'module' ? /^([a-z][a-z0-9_]*) ([A-Z][a-z][^.]*\.)$/.exec(line) : null;
      if (entry && lineWords(entry[2]!) >= 3 && !containsTerm(entry[2]!, entry[1]!)) {
        const term = makeTerm(entry[1]!, unit, book, false, { from: 'module' });
        definitions.push({ term, style: 'module', prompt: entry[2]!, quote: line, book, start: i, end: i, position: i, score: 2.25 });
        return;
      }
      if (!entry && table === 'module' && !/^[a-z]/.test(line)) table = null;
      const row = defineFromRow(line);
      if (!row) return;
      const term = makeTerm(row.raw, unit, book, false);
      if (!example(term)) definitions.push({ term, style: 'function', prompt: row.description, quote: row.quote, book, start: i, end: i, position: i, score: 2.5 });
    });
    // Subheadings that name a concept ("Side effects", "Runtime errors", "Comparison operators"):
    // terms of the chapter, for distractors.
    book.lines.forEach((line, i) => {
      const unit = book.info[i]!.unit;
      // A heading follows a finished sentence (not "The output is:") and opens a paragraph.
      const before = book.info[i - 1]?.role === 'prose' ? book.lines[i - 1]! : '.';
      if (!unit || book.info[i]!.role !== 'prose' || !/[.!?]["')\]”’]?$/.test(before) || lineWords(book.lines[i + 1] ?? '') < 6) return;
      if (lineWords(line) > 5 || /[.,;:!?]$/.test(line) || !/^[A-Za-z]/.test(book.lines[i + 1] ?? '') || /^(?:Example|Introduction|Summary)\b|\bDescription\b|\b[A-Z]{2,}\b/.test(line)) return;
      // Code lines are not headings ("import area").
      if (isCodeLike(line) || /^(?:import|from|return|print|def|class|raise|del|pass|break|continue|with|try|except)\b/.test(line)) return;
      headingTerms(line, unit);
    });
    // Section titles name what a section teaches: "13.5 Multiple inheritance and mixin classes".
    const titled = new Set<Unit>();
    for (const info of book.info) {
      if (!info.unit || titled.has(info.unit)) continue;
      titled.add(info.unit);
      const title = /^\d{1,2}\.\d{1,2}\s+(.+)$/.exec(info.unit.title);
      if (title && !/^chapter\b/i.test(title[1]!)) headingTerms(title[1]!, info.unit);
    }
    /** The terms a heading names: "is-a vs has-a relationships" names two, "Inheritance basics" one. */
    function headingTerms(heading: string, unit: Unit) {
      const named: string[] = [];
      for (const part of heading.split(/\s+(?:vs\.?|and|or)\s+|,\s+/)) {
        // "Multiple inheritance basics", "Alternative inheritance terms": a topic of the term.
        const raw = part.replace(/^(?:The|A|An) /, '').replace(/\s+(?:basics|terms|overview|examples?|review|summary|practice|revisited|recap|in Python)$/i, '');
        // "Modifying and iterating lists": an activity, not a term ("Sorting" is one where the text defines it).
        if (/^(?:benefits|advantages|uses|types|kinds|examples|introduction|overview)\b/i.test(raw) || /^[A-Za-z]+ing$/.test(raw)) continue;
        const term = makeTerm(raw, unit, book, /[^s]s$/.test(raw), { from: 'heading' });
        // A capitalised heading word the text never writes in lower case is a name ("Berkeley").
        if (termLike(raw) && !/^[A-Z]/.test(term.display) && !example(term)) {
          addTerm(term);
          named.push(term.key);
        }
      }
      for (const k of named) for (const other of named) if (other !== k) siblings.set(k, (siblings.get(k) ?? new Set()).add(other));
    }
    // Functions the chapter mentions by name: distractors for code terms when few are defined.
    for (const s of own) {
      // Plain names and module functions ("len()", "np.zeros()"), not example objects ("car_1.max_kmh()").
      for (const m of s.text.matchAll(/(?<![\w.])((?:[a-z]{1,6}\.)?_{0,2}[a-z][a-z_]*[a-z]_{0,2})\(\)/g)) {
        const term = makeTerm(`${m[1]}()`, s.unit, book, false, { from: 'mention' });
        if (!example(term)) addTerm(term);
      }
    }
  });

  // Another name of a term is a kind of what the term is ("triacylglycerols" of lipids, as fats are).
  for (const [key, names] of synonyms) for (const name of names) for (const g of genus.get(key) ?? []) if (!(genus.get(name) ?? []).includes(g)) push(genus, name, g);

  // A chapter with a "Key Terms" glossary says which terms it teaches: a sentence is asked about
  // one of them, not about a word it happens to define in passing ("A chemical reaction occurs
  // when inserting a water molecule …" in a chapter whose key terms are hydrolysis and
  // dehydration synthesis).
  const taught = (t: Term) => t.code || !keyTerms.has(t.unit.chapter) || keyTerms.get(t.unit.chapter)!.has(t.key);
  // Rows of a reference table that say the same thing of two functions cannot have one answer.
  const descriptions = new Map<string, number>();
  for (const d of definitions) if (d.style !== 'sentence') descriptions.set(normaliseOption(d.prompt), (descriptions.get(normaliseOption(d.prompt)) ?? 0) + 1);
  const clear = definitions.filter((d) => (d.style === 'sentence' ? taught(d.term) : descriptions.get(normaliseOption(d.prompt)) === 1));

  // Terms by chapter: defined ones first, so that a defined term wins over a mere mention of its name.
  const terms = new Map<string, Term[]>();
  for (const d of definitions) {
    const list = terms.get(d.term.unit.chapter) ?? [];
    if (!list.some((u) => u.key === d.term.key)) list.push(d.term);
    terms.set(d.term.unit.chapter, list);
  }
  for (const [chapter, list] of pool) {
    const target = terms.get(chapter) ?? [];
    for (const t of list) if (!target.some((u) => u.key === t.key || (t.name !== null && u.name === t.name))) target.push(t);
    terms.set(chapter, target);
  }

  clear.push(...statements(sentences, terms, new Set(clear.map((d) => d.quote)), taught));

  // What each term is said to be or do: a distractor of which the book says the same is no wrong answer.
  const claims = new Map<string, Set<string>[]>();
  for (const d of clear) push(claims, d.term.key, new Set(contentWords(d.prompt)));

  const byUnit = new Map<Unit, Sentence[]>();
  const chapterParts = new Map<string, string[]>();
  for (const s of sentences) {
    push(byUnit, s.unit, s);
    push(chapterParts, s.unit.chapter, s.text);
  }
  const chapterText = new Map([...chapterParts].map(([k, v]) => [k, v.join(' ')]));
  const analysis: Analysis = { books, definitions: clear, pool: terms, claims, synonyms, genus, siblings, moduleAliases, chapterText, objectives, byUnit, summaries: sentences.filter((s) => s.summary) };
  analyses.set(passages, analysis);
  return analysis;
}

/**
 * A term defined once is sometimes named again for the example that follows: "The greatest common
 * divisor is the integer value when the base case is reached." comes after "The greatest common
 * divisor (GCD) of two positive integers is an integer that …" and a run of Euclid's method. A
 * second "The X is the …" in a section, after a sentence that opened with X and said what it is,
 * points into the example rather than defining X.
 */
function restated(s: Sentence, raw: string, section: Sentence[]): boolean {
  if (!new RegExp(`^The ${escapeRe(raw)} (?:is|are) the `, 'i').test(s.text)) return false;
  const opens = new RegExp(`^(?:(?:The|A|An) )?${escapeRe(raw)}\\b.*? (?:is|are) `, 'i');
  return section.some((x) => x.position < s.position && opens.test(x.text));
}

// The pattern of a term opening a sentence, compiled once per term: it is tried on many sentences.
const subjects = new Map<string, RegExp>();
function subjectPattern(display: string): RegExp {
  let re = subjects.get(display);
  if (!re) {
    if (subjects.size > 5000) subjects.clear();
    re = new RegExp(`^(?:In Python, )?(?:(A|An|The) )?(${escapeRe(display)}(?:e?s)?)(?=[ ,])`, 'i');
    subjects.set(display, re);
  }
  return re;
}

/**
 * Key-term statements: a sentence whose subject is a term its chapter defines or heads a
 * subsection with ("A dictionary cannot have duplicate keys.", "An if statement defines actions
 * …"), or that names one of the chapter's functions ("The get() method is called with the key …").
 * Weaker than definitions, so they rank after them. `taught` says which prose terms may be the
 * answer.
 */
function statements(sentences: Sentence[], terms: Map<string, Term[]>, sources: Set<string>, taught: (t: Term) => boolean): Definition[] {
  const out: Definition[] = [];
  // Terms by chapter and first word, longest first: a sentence is matched against few of them.
  const byFirst = new Map<string, Map<string, Term[]>>();
  for (const [chapter, list] of terms) {
    const index = new Map<string, Term[]>();
    for (const t of [...list].sort((x, y) => y.display.length - x.display.length)) push(index, t.display.split(' ')[0]!.toLowerCase(), t);
    byFirst.set(chapter, index);
  }
  for (const s of sentences) {
    if (sources.has(s.text) || !usable(s)) continue;
    const list = terms.get(s.unit.chapter) ?? [];
    const subject = s.text.replace(/^In Python, /, '').replace(/^(?:A|An|The) /, '').split(' ')[0]!.toLowerCase();
    const starting = byFirst.get(s.unit.chapter)?.get(subject) ?? byFirst.get(s.unit.chapter)?.get(subject.replace(/e?s$/, '')) ?? [];
    for (const t of starting) {
      // The term as the subject: "A dictionary cannot have duplicate keys.", "Instance methods
      // have the first parameter self …" (then the options are plural terms, to fit the sentence).
      const m = subjectPattern(t.display).exec(s.text);
      if (!m) continue;
      const after = s.text.slice(m[0].length).split(' ').filter(Boolean);
      if (/^(?:function|method|operator|keyword|statement),?$/.test(after[0] ?? '')) after.shift();
      if (/^(?:always|never|often|usually|also|only|commonly|typically|generally|[a-z]+ly)$/.test(after[0] ?? '')) after.shift();
      // The term must be the subject, not the first half of a compound ("A Python shell is …",
      // "Function calls must …"): a verb follows it, agreeing with it.
      const verb = (after[0] ?? '').replace(/,$/, '');
      const surface = m[2]!;
      const plural = isPlural(surface);
      const verbLike = AUXILIARIES.has(verb) || (/^[a-z]+$/.test(verb) && !FUNCTION_WORDS.has(verb) && (plural ? !/s$/.test(verb) : /[^s]s$/.test(verb)) && !AUXILIARIES.has(after[1] ?? ''));
      if (!verbLike || after.length < 5 || (t.code && surface !== t.display)) break;
      // A name the text only mentions is no term it teaches; "The enzyme may …" is one enzyme of
      // the text, not enzymes in general.
      if (!t.code && ((t.from !== 'definition' && t.from !== 'heading') || !taught(t) || (m[1]?.toLowerCase() === 'the' && definiteOne(surface)))) break;
      const prompt = blankOut(s.text, surface);
      const term = surface.length === t.display.length ? { ...t, unit: s.unit } : { ...makeTerm(surface, s.unit, s.book, true, { aliases: t.aliases }), plural: true };
      if (prompt) out.push({ term, style: 'statement', prompt, quote: s.text, book: s.book, start: s.start, end: s.end, position: s.position, score: 1.5 - (s.summary ? 0.25 : 0) });
      break;
    }
    // A function named anywhere in the sentence: what a function does is specific to it, so the
    // blank has one answer ("Items can be deleted … using the del keyword or the ____ method.").
    const call = [...s.text.matchAll(/(?<![\w.])([a-z_][\w.]*)\(\)/g)].map((m) => list.find((t) => t.code && t.name === m[1] && t.display === `${m[1]}()`)).find(Boolean);
    // A list item ("Creating an ndarray by … using the np.array() function.") is no statement.
    const fragment = /^[A-Z][a-z]+ing\b/.test(s.text) && !s.text.split(' ').some((w) => AUXILIARIES.has(w));
    if (call && s.text.split(call.display).length === 2 && !fragment) {
      const prompt = blankOut(s.text, call.display);
      if (prompt) out.push({ term: { ...call, unit: s.unit }, style: 'statement', prompt, quote: s.text, book: s.book, start: s.start, end: s.end, position: s.position, score: 1.25 - (s.summary ? 0.25 : 0) });
    }
  }
  return out;
}
