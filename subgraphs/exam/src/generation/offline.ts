// The exam generator without a language model. It writes no facts of its own: every question is
// built from the book's own definitions (running text, "Key Terms" glossaries, function reference
// tables) and learning objectives, and every answer is quoted from the book. The text arrives as
// retrieval's passages, which overlap and carry PDF line breaks, so the book's reading order is put
// back together first and each line is given its role (prose, exercise, caption, glossary, …):
// what the book marks as an exercise or a question box must never become an exam question.
import { collapse, containsTerm, contentWords, isCodeLike, isExerciseText, normaliseOption, normaliseOrigin, normalisePrompt } from './gates.ts';
import type { CandidateItem, CandidateSource, GenerationRequest, ItemType, SourcePassage } from './types.ts';

// ---------------------------------------------------------------------------------------------
// Seeded choices

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

/** A small seeded generator (mulberry32): the same seed gives the same exam. */
function random(seed: string): () => number {
  let a = hash(seed);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Per-item jitter that does not depend on the order items are visited in.
const jitter = (seed: string, key: string) => hash(`${seed}\u0000${key}`) / 4294967296;

function shuffle<T>(xs: T[], rnd: () => number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The book put back together

interface Unit {
  /** Unique per book and section. */
  key: string;
  title: string;
  /** Unique per book and chapter: distractors come from the same chapter. */
  chapter: string;
  order: number;
  /** A whole section that summarises its chapter (Python "N.M Chapter summary"). */
  summary: boolean;
}

type Role = 'skip' | 'prose' | 'objective' | 'glossary';

interface LineInfo {
  role: Role;
  unit: Unit | null;
  /** Inside a "Section Summary" (a summary section says so on its unit). */
  summary: boolean;
  /** First line of a feature box whose title runs into its first sentence ("Carbon Dating Carbon is …"). */
  boxStart: boolean;
}

interface Span {
  passage: SourcePassage;
  start: number;
  end: number;
}

interface Book {
  bookId: string;
  order: number;
  lines: string[];
  info: LineInfo[];
  /** The stream lines [start, end) each passage holds. */
  spans: Span[];
  /** Typical width of a full line, in characters (the PDF's lines wrap near it). */
  width: number;
  /** Words seen in lower case inside sentences: "Traceback" at a sentence start becomes "traceback". */
  lower: Set<string>;
}

interface Sentence {
  text: string;
  book: Book;
  unit: Unit;
  start: number;
  end: number;
  summary: boolean;
  /** The first sentence of a feature box, which carries the box title in front of it. */
  boxed: boolean;
  position: number;
}

const lineWords = (s: string) => s.split(' ').filter(Boolean).length;
const endsSentence = (s: string) => /[.!?:]["')\]”’]?$/.test(s);

/** The passages of one book, in reading order, as one stream of lines with the overlaps removed. */
function stitch(bookId: string, order: number, passages: SourcePassage[]): Omit<Book, 'info' | 'lower'> {
  const sorted = [...passages].sort((a, b) => a.index - b.index);
  const lines: string[] = [];
  const spans: Span[] = [];
  let prev: { passage: SourcePassage; lines: string[] } | null = null;
  for (const passage of sorted) {
    const own = passage.text
      .split('\n')
      .map((l) => collapse(l))
      .filter(Boolean);
    // Consecutive passages share their boundary lines (retrieval's overlap); find how many.
    let overlap = 0;
    if (prev && prev.passage.index === passage.index - 1) {
      for (let k = Math.min(prev.lines.length, own.length); k > 0; k--) {
        let same = true;
        for (let i = 0; i < k && same; i++) same = prev.lines[prev.lines.length - k + i] === own[i];
        if (same) {
          overlap = k;
          break;
        }
      }
    }
    const start = lines.length - overlap;
    for (const l of own.slice(overlap)) lines.push(l);
    spans.push({ passage, start, end: lines.length });
    prev = { passage, lines: own };
  }
  const lengths = lines.map((l) => l.length).sort((a, b) => a - b);
  const width = lengths[Math.floor(lengths.length * 0.9)] ?? 100;
  return { bookId, order, lines, spans, width: Math.max(width, 40) };
}

// "2.4 Floating-point errors", "2.1 Atoms, Isotopes, Ions, and Molecules: The Building Blocks".
const SECTION = /^(\d{1,2})\.(\d{1,2})\s+([A-Z][A-Za-z'’].*)$/;
// A table of contents line: a heading followed by its page number.
const TOC = /^(?:\d{1,2}(?:\.\d{1,2})?\s+)?[A-Z].*\s\d{1,4}$/;
const CHAPTER = /^chapter\s+(\d{1,2})(?:\s+([A-Z].*))?$/i;

function sectionHeading(line: string): { chapter: number; section: number; title: string } | null {
  const m = SECTION.exec(line);
  if (!m || line.length > 110 || lineWords(line) > 14 || /[.,;:]$/.test(line) || /\s\d{1,4}$/.test(line)) return null;
  return { chapter: Number(m[1]), section: Number(m[2]), title: line };
}

const OBJECTIVE_VERBS = new Set(
  'Access Analyze Apply Assign Build Calculate Call Choose Classify Combine Compare Concatenate Construct Contrast Convert Correct Create Debug Define Demonstrate Describe Design Determine Develop Differentiate Discuss Display Distinguish Draw Employ Evaluate Explain Explore Extract Format Identify Illustrate Implement Import Inspect Interpret Iterate Label List Modify Name Obtain Open Outline Perform Predict Provide Raise Read Recall Recognize Relate Remove Replace Search Select State Store Summarize Test Trace Understand Use Write'.split(
    ' ',
  ),
);

const BOX_TITLE = /^(?:Evolution|Career|Everyday|Scientific Method|Global) Connection/;
const EXERCISE_BLOCK = /^(?:Try It\b|Concepts in Practice|Programming practice|Review Questions|Critical Thinking Questions|Mini-project)/;

type Mode = 'front' | 'body' | 'chapter-title' | 'objectives-intro' | 'objectives' | 'glossary' | 'exercise' | 'visual' | 'aside' | 'caption';

/** Gives every line its role and section, following the book's headings and feature boxes. */
function classify(book: Omit<Book, 'info' | 'lower'>): LineInfo[] {
  const units: Unit[] = [];
  const makeUnit = (title: string, chapter: string, summary: boolean): Unit => {
    const u = { key: `${book.order}:${units.length}:${title}`, title, chapter: `${book.order}:${chapter}`, order: units.length, summary };
    units.push(u);
    return u;
  };
  let unit: Unit | null = null;
  let at: [number, number] | null = null;
  let mode: Mode = 'front';
  const label = book.spans[0]?.passage.section ?? null;
  const labelled = label ? sectionHeading(label) : null;
  const labelChapter = label ? CHAPTER.exec(label) : null;
  // Retrieval labels a passage with the last heading it saw, so a chapter's introduction (whose
  // "CHAPTER N" line may sit in an earlier passage) arrives labelled with the previous chapter's
  // summary. Text right before an "N.1" heading is chapter N's introduction: relabelled below.
  let initial: Unit | null = null;
  if (labelled) {
    unit = makeUnit(labelled.title, String(labelled.chapter), /summary/i.test(labelled.title));
    initial = unit;
    at = [labelled.chapter, labelled.section];
    mode = 'body';
  } else if (labelChapter) {
    unit = makeUnit(`Chapter ${labelChapter[1]}`, labelChapter[1]!, false);
    at = [Number(labelChapter[1]), 0];
    mode = 'body';
  } else if ((book.spans[0]?.passage.index ?? 0) > 0) {
    // Not the start of the book, and no usable label (none, or a table-of-contents line that a
    // heading the chunker missed left behind): text of a section still to be named by the next
    // heading. Only the book's own beginning is front matter.
    unit = makeUnit('(section)', '?', false);
    initial = unit;
    mode = 'body';
  }

  const info: LineInfo[] = [];
  let imageOpen = false;
  let inSummary = false;
  let boxNext = false;
  let prevLine = '';
  for (const line of book.lines) {
    const push = (role: Role) => {
      const boxStart = role === 'prose' && boxNext;
      if (role === 'prose') boxNext = false;
      info.push({ role: unit ? role : 'skip', unit, summary: inSummary, boxStart });
    };
    const last = prevLine;
    prevLine = line;

    // Image descriptions and "[… not included …]" notes, possibly over several lines.
    if (imageOpen) {
      push('skip');
      if (/\]\s*$/.test(line)) imageOpen = false;
      continue;
    }
    if (line.startsWith('[')) {
      push('skip');
      if (!/\]\s*$/.test(line)) imageOpen = true;
      continue;
    }

    const chapter = CHAPTER.exec(line);
    if (chapter && lineWords(line) <= 10) {
      initial = null;
      unit = makeUnit(`Chapter ${chapter[1]}`, chapter[1]!, false);
      at = [Number(chapter[1]), 0];
      mode = chapter[2] ? 'body' : 'chapter-title';
      inSummary = false;
      push('skip');
      continue;
    }
    const heading = sectionHeading(line);
    if (heading && (!at || heading.chapter > at[0] || (heading.chapter === at[0] && heading.section > at[1]))) {
      if (initial && unit === initial && (!at || (heading.section === 1 && heading.chapter > at[0]))) {
        initial.title = heading.section === 1 ? `Chapter ${heading.chapter}` : `${heading.chapter}.${heading.section - 1}`;
        initial.chapter = `${book.order}:${heading.chapter}`;
        initial.summary = false;
      }
      unit = makeUnit(heading.title, String(heading.chapter), /summary/i.test(heading.title));
      at = [heading.chapter, heading.section];
      mode = 'body';
      inSummary = false;
      push('skip');
      continue;
    }
    if (mode === 'front' || (TOC.test(line) && SECTION.test(line))) {
      push('skip');
      continue;
    }
    if (mode === 'chapter-title') {
      mode = 'body';
      push('skip');
      continue;
    }

    if (/^Learning [Oo]bjectives$/.test(line)) {
      mode = 'objectives-intro';
      push('skip');
      continue;
    }
    if (mode === 'objectives-intro') {
      mode = /^By the end of this section/.test(line) ? 'objectives' : 'body';
      if (mode === 'objectives') {
        push('skip');
        continue;
      }
    }
    if (mode === 'objectives') {
      const first = line.split(' ')[0] ?? '';
      const continues = /^[a-z]/.test(line) && !/[.!?]$/.test(last) && last.length >= 0.55 * book.width;
      if (OBJECTIVE_VERBS.has(first) || continues) {
        push('objective');
        continue;
      }
      mode = 'body';
    }

    if (/^Section Summary$/.test(line)) {
      inSummary = true;
      mode = 'body';
      push('skip');
      continue;
    }
    if (/^Key Terms$/.test(line)) {
      inSummary = false;
      mode = 'glossary';
      push('skip');
      continue;
    }
    if (EXERCISE_BLOCK.test(line)) {
      mode = 'exercise';
      push('skip');
      continue;
    }
    if (/^(?:Visual|Art) Connection/.test(line)) {
      mode = 'visual';
      push('skip');
      continue;
    }
    if (/^Checkpoint\b/.test(line)) {
      push('skip');
      continue;
    }
    if (/^(?:Link to Learning|Exploring further)/.test(line)) {
      mode = 'aside';
      push('skip');
      continue;
    }
    if (BOX_TITLE.test(line)) {
      boxNext = true;
      push('skip');
      continue;
    }
    if (/^(?:Figure|Table)\s+\d+\.\d+\b/.test(line)) {
      mode = mode === 'glossary' || mode === 'exercise' || mode === 'visual' ? mode : 'caption';
      push('skip');
      continue;
    }

    if (mode === 'exercise') {
      push('skip');
      continue;
    }
    if (mode === 'visual') {
      // The box ends with its question.
      push('skip');
      if (/\?["'”’)]?$/.test(line)) mode = 'body';
      continue;
    }
    if (mode === 'aside') {
      push('skip');
      if (endsSentence(line)) mode = 'body';
      continue;
    }
    if (mode === 'caption') {
      // A caption runs on while its lines are full or the next line continues a sentence.
      if (last.length >= 0.8 * book.width || /^[a-z(]/.test(line)) {
        push('skip');
        continue;
      }
      mode = 'body';
    }
    if (mode === 'glossary') {
      push('glossary');
      continue;
    }
    push('prose');
  }
  return info;
}

// Abbreviations whose period does not end a sentence.
const ABBREV = /(?:\b(?:e\.g|i\.e|etc|vs|Ex|Dr|Mr|Mrs|Ms|St|No|Fig|approx|al|cf)|(?:^|\s)[A-Z])\.$/;

/** Prose lines joined back into paragraphs (undoing the PDF's wrapping) and cut into sentences. */
function sentencesOf(book: Book, first: number): Sentence[] {
  const { lines, info, width } = book;
  const out: Sentence[] = [];
  // A line continues the one before unless that one ended a sentence; a paragraph's first line
  // without a full stop, short of the margin and followed by a capital, is a subheading.
  const continues = (prev: string, next: string, first: boolean) =>
    !endsSentence(prev) && (/^[a-z(,;]/.test(next) || (prev.length > 0.55 * width && /^[A-Za-z"'“(]/.test(next) && !(first && /^[A-Z"“]/.test(next) && prev.length < 0.85 * width)));
  let i = 0;
  while (i < lines.length) {
    const head = info[i]!;
    if (head.role !== 'prose' || !head.unit) {
      i++;
      continue;
    }
    let j = i;
    while (j + 1 < lines.length && info[j + 1]!.role === 'prose' && info[j + 1]!.unit === head.unit && !info[j + 1]!.boxStart && continues(lines[j]!, lines[j + 1]!, j === i)) j++;
    const starts: number[] = [];
    let text = '';
    for (let k = i; k <= j; k++) {
      starts.push(text.length + (text ? 1 : 0));
      text = text ? `${text} ${lines[k]}` : lines[k]!;
    }
    const lineAt = (offset: number) => {
      let k = 0;
      while (k + 1 < starts.length && starts[k + 1]! <= offset) k++;
      return i + k;
    };
    let from = 0;
    let firstOfParagraph = true;
    const emit = (to: number) => {
      const s = text.slice(from, to).trim();
      if (s.length >= 3) {
        // A run-in label ("get() method: The get() method is …") is not part of the sentence.
        const label = /^([A-Za-z_][^.:!?]{0,40}): (?=["“]?[A-Z])/.exec(s);
        // "Ex: …" stays whole: an example is not a statement of the book.
        const strip = label && lineWords(label[1]!) <= 5 && !/^(?:Ex|Example|Note|Input|Output)$/i.test(label[1]!);
        const skip = strip ? text.indexOf(s, from) + label[0].length : text.indexOf(s, from);
        const body = text.slice(skip, to).trim();
        if (body.length >= 3) {
          out.push({ text: body, book, unit: head.unit!, start: lineAt(skip), end: lineAt(Math.max(skip, to - 1)), summary: head.summary || head.unit!.summary, boxed: head.boxStart && firstOfParagraph, position: first + out.length });
        }
      }
      firstOfParagraph = false;
    };
    for (const m of text.matchAll(/([.!?])(["')\]”’]?)\s+(?=["'(“‘[]?[A-Z0-9])/g)) {
      if (ABBREV.test(text.slice(from, m.index + 1))) continue;
      emit(m.index + m[1]!.length + m[2]!.length);
      from = m.index + m[0].length;
    }
    emit(text.length);
    i = j + 1;
  }
  return out;
}

/** The passage holding stream lines start..end whole (the first one, if the overlap holds it twice). */
function holder(book: Book, start: number, end: number): SourcePassage | null {
  for (const s of book.spans) if (s.start <= start && end < s.end) return s.passage;
  return null;
}

// ---------------------------------------------------------------------------------------------
// Terms and their definitions

interface Term {
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

type Style = 'sentence' | 'glossary' | 'function' | 'statement' | 'module';

interface Definition {
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
const FUNCTION_WORDS = new Set([
  ...DETERMINERS,
  ...'is are was were be been being am do does did has have had can could may might must shall should will would and or but nor not so yet if when whenever while since because although though unless until after before as at by for from in into on onto to with without about over under than then also just very too what which who whom whose why how where often usually typically generally sometimes always never frequently neither either'.split(' '),
]);
// Nouns that are not terms a student learns: "The difference between … is …" defines nothing named.
const GENERIC = new Set(
  'result example difference reason goal purpose point idea answer question problem solution step way thing part rest people person case kind form use amount lot advantage benefit disadvantage task job fact chapter section book figure table today introduction summary scientist researcher biologist physiologist chemist programmer user student author reader'.split(' '),
);
const AUXILIARIES = new Set('is are was were can cannot must may might should will would does do did has have'.split(' '));
const PYTHON_KEYWORDS = new Set('if else elif for while in not and or is with try except finally return break continue import from def class pass del raise global lambda yield as'.split(' '));
const TERM_WORD = /^[A-Za-z][A-Za-z0-9'’-]*$/;
const CODE_TOKEN = /^[A-Za-z_][\w.]*\([^()]*\)$/;

const termKey = (s: string) => normaliseOption(s);
const codeName = (s: string) => /^([A-Za-z_][\w.]*)\(/.exec(s)?.[1] ?? null;

/** Whether the words make a term a student could be asked to name. */
function termLike(raw: string): boolean {
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
function display(raw: string, book: Book): string {
  const first = raw.split(' ')[0] ?? '';
  if (/^[A-Z][a-z'’-]*$/.test(first) && book.lower.has(first.toLowerCase())) return raw[0]!.toLowerCase() + raw.slice(1);
  return raw;
}

/** `initial`: the term opens its sentence, so its capital may be the sentence's, not the term's. */
/** A plural noun phrase ("magic methods", "isomers"), not "class", "analysis" or "status". */
const isPlural = (s: string) => /[^s]s$/.test(s) && !/(?:us|is)$/.test(s);

function makeTerm(raw: string, unit: Unit, book: Book, plural: boolean, opts: { aliases?: string[]; initial?: boolean; from?: Term['from'] } = {}): Term {
  const shown = isCodeLike(raw) || opts.initial === false ? raw : display(raw, book);
  return { display: shown, key: termKey(shown), code: isCodeLike(shown), name: codeName(shown), words: shown.split(' ').length, plural: plural || (!isCodeLike(shown) && isPlural(shown)), unit, aliases: (opts.aliases ?? []).map(termKey), from: opts.from ?? 'definition' };
}

// A sentence worth quoting in a question: whole, plain prose, no code, no reference to something
// the student cannot see (a figure, "the following code").
function usable(s: Sentence, maxWords = 45): boolean {
  const t = s.text;
  const n = lineWords(t);
  if (n < 6 || n > maxWords || s.boxed) return false;
  if (!/^["“(]?[A-Z]/.test(t) || !/[.]["')”’]?$/.test(t)) return false;
  // A sentence that starts by pointing back ("It …", "These …") needs the one before it.
  if (/^(?:It|Its|They|Their|This|These|That|Those|He|She|Here|There)\b|^We now\b/.test(t)) return false;
  if (/^(?:Ex|Figure|Table|Example|Note)\b/.test(t) || /\bEx:|\[|→|>>>|\s=\s|==/.test(t) || isExerciseText(t)) return false;
  if (/\b(?:Figure|Table|Lines?)\s+\d|\b(?:following|below|above|shown)\b|\bthis (?:example|figure|table|code|program|animation|chapter|section|book)\b/i.test(t)) return false;
  if (looksLikeCode(t)) return false;
  // Table headers run into the text ("floating-point Example Output Explanation formatting").
  if (/\S \b[A-Z][a-z]+ [A-Z][a-z]+ [A-Z][a-z]+\b|\b(?:Method|Function|Module|Operator|Statement|Concept|Syntax) Description\b/.test(t)) return false;
  return true;
}

// Code: an assignment, a call standing alone, a statement keyword with its colon, an interpreter prompt.
const looksLikeCode = (s: string) =>
  /^>>>|[a-z_]\w*\s*[-+*/%]?=\s*\S|^\s*(?:print|def|for|while|if|elif|else|import|return|class)\b.*[:)]\s*$|^\s*[\w.]+\(.*\)\s*$/.test(s) && !/[a-z]{3,} [a-z]{3,} [a-z]{3,} [a-z]{3,}/.test(s);

const BLANK = '____';

/** The sentence with every occurrence of the term blanked; null if the term still shows through. */
function blankOut(sentence: string, term: string): string | null {
  const re = new RegExp(`(?<![\\w])${term.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w])`, 'gi');
  if (!re.test(sentence)) return null;
  const out = sentence.replace(re, BLANK).replace(/\b([Aa])n? ____/g, '$1(n) ____');
  const left = new Set(contentWords(out));
  const words = contentWords(term);
  if (words.length && words.every((w) => left.has(w))) return null;
  return out;
}

// "… is called a round-off error.", "… known as the loop body, …", "We define specific heat as …".
const NAMING = /(?:\b(?:is|are|be|been|was|were)\s+(?:also\s+|[a-z]+ly\s+)?(?:called|known as|referred to as|termed)|,\s+(?:called|known as)|\brefers? to [a-z][a-z -]{2,60}? as)\s+(?:(?:a|an|the)\s+)?/g;
const SUBJECT_VERBS = new Set(['is', 'are', 'refers', 'refer', 'occurs', 'occur', 'means']);

function defineFromSentence(s: Sentence): { raw: string; plural: boolean; score: number } | null {
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
  if (['A', 'An', 'The', 'a', 'an', 'the'].includes(tokens[a]!)) a++;
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
    if (!termLike(raw)) return null;
    const strength = codeVerb && !isVerb ? 2.5 : predicateStrength(verb, predicate);
    if (strength === null) return null;
    return { raw, plural: verb === 'are', score: strength };
  }
  return null;
}

/** Function reference rows: "len(string) Returns the length (the number of characters) of a string." */
function defineFromRow(line: string): { raw: string; quote: string; description: string } | null {
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

function glossaryOf(book: Book): Array<GlossaryEntry & { unit: Unit }> {
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

// ---------------------------------------------------------------------------------------------
// Learning objectives

interface Objective {
  text: string;
  unit: Unit;
  book: Book;
  position: number;
}

function objectivesOf(book: Book): Objective[] {
  const out: Objective[] = [];
  book.lines.forEach((line, i) => {
    const info = book.info[i]!;
    if (info.role !== 'objective' || !info.unit) return;
    const lastOne = out.at(-1);
    if (lastOne && book.info[i - 1]?.role === 'objective' && !OBJECTIVE_VERBS.has(line.split(' ')[0]!)) lastOne.text = `${lastOne.text} ${line}`;
    else out.push({ text: line, unit: info.unit, book, position: i });
  });
  return out;
}

// Skills ("Use …", "Write …") become "Describe how to use …": the book explains how; an exam
// answer in words can too.
const ASK_AS_IS = new Set(['Explain', 'Describe', 'Discuss', 'Compare', 'Contrast', 'Distinguish', 'Differentiate', 'Summarize', 'Define', 'List', 'Name', 'Provide', 'Identify', 'Outline', 'State', 'Recall', 'Relate', 'Classify']);

export function objectivePrompt(objective: string): string {
  const text = collapse(objective).replace(/[.;]+$/, '');
  const [verb = '', ...rest] = text.split(' ');
  const tail = rest.join(' ');
  if (ASK_AS_IS.has(verb)) return `${text}.`;
  if (verb === 'Understand') return `Explain ${tail}.`;
  if (verb === 'Demonstrate') {
    if (/^that\b/.test(tail)) return `Show ${tail}.`;
    if (/^how\b/.test(tail)) return `Explain ${tail}.`;
    return `Describe ${tail}.`;
  }
  return `Describe how to ${verb.toLowerCase()} ${tail}.`;
}

/** "classification" and "classify", "structure" and "structural": one word for matching an objective. */
function related(a: string, b: string): boolean {
  const n = Math.min(a.length, b.length);
  if (n < 6) return false;
  let k = 0;
  while (k < n && a[k] === b[k]) k++;
  return k >= 6 && k >= 0.75 * n;
}

// The words an objective is about, without its verb and the words every objective shares.
const OBJECTIVE_NOISE = new Set(['use', 'using', 'able', 'two', 'different', 'given', 'way', 'ways', 'role', 'concept', 'importance']);
const aboutWords = (objective: string) => [...new Set(contentWords(objective.split(' ').slice(1).join(' ')))].filter((w) => !OBJECTIVE_NOISE.has(w));

// ---------------------------------------------------------------------------------------------
// Analysis of one request's passages (shared by both item types)

interface Analysis {
  books: Book[];
  definitions: Definition[];
  /** Terms by chapter, for distractors. */
  pool: Map<string, Term[]>;
  /** Content words of what the book says of each term (by term key). */
  claims: Map<string, Set<string>[]>;
  /** The prose of each chapter, for checking that an inflected term is the book's own. */
  chapterText: Map<string, string>;
  objectives: Objective[];
  byUnit: Map<Unit, Sentence[]>;
  summaries: Sentence[];
}

const analyses = new WeakMap<SourcePassage[], Analysis>();

function analyse(passages: SourcePassage[]): Analysis {
  const cached = analyses.get(passages);
  if (cached) return cached;
  const byBook = new Map<string, SourcePassage[]>();
  for (const p of passages) {
    const list = byBook.get(p.bookId);
    if (list) list.push(p);
    else byBook.set(p.bookId, [p]);
  }

  const books: Book[] = [];
  const sentences: Sentence[] = [];
  const definitions: Definition[] = [];
  const objectives: Objective[] = [];
  const pool = new Map<string, Term[]>();
  const addTerm = (t: Term) => {
    const list = pool.get(t.unit.chapter) ?? [];
    if (!list.some((u) => u.key === t.key)) list.push(t);
    pool.set(t.unit.chapter, list);
  };

  [...byBook].forEach(([bookId, ps], order) => {
    const stitched = stitch(bookId, order, ps);
    const info = classify(stitched);
    const lower = new Set<string>();
    stitched.lines.forEach((l, i) => {
      if (info[i]!.role !== 'prose') return;
      for (const m of l.matchAll(/(?<![\w./@-])([a-z][a-z'’-]*)(?![\w(]|\.\w)/g)) lower.add(m[1]!);
    });
    const book: Book = { ...stitched, info, lower };
    books.push(book);
    const own = sentencesOf(book, sentences.length);
    sentences.push(...own);
    objectives.push(...objectivesOf(book));

    for (const s of own) {
      if (!usable(s)) continue;
      const d = defineFromSentence(s);
      if (!d) continue;
      const term = makeTerm(d.raw, s.unit, book, d.plural, { initial: s.text.startsWith(d.raw) });
      const prompt = blankOut(s.text, d.raw);
      if (!prompt) continue;
      // Proper names ("TIOBE", "Python") make trivia questions: asked only when nothing else is left.
      const name = !term.code && /^[A-Z]/.test(term.display) ? 1 : 0;
      definitions.push({ term, style: 'sentence', prompt, quote: s.text, book, start: s.start, end: s.end, position: s.position, score: d.score - (s.summary ? 0.5 : 0) - name });
    }
    for (const g of glossaryOf(book)) {
      const term = makeTerm(g.term, g.unit, book, false, { aliases: g.aliases });
      if (!termLike(g.term) && !term.code) continue;
      if (/^see\s/.test(g.definition) || lineWords(g.definition) < 3 || containsTerm(g.definition, g.term)) {
        addTerm(term);
        continue;
      }
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
      definitions.push({ term, style: 'function', prompt: row.description, quote: row.quote, book, start: i, end: i, position: i, score: 2.5 });
    });
    // Subheadings that name a concept ("Side effects", "Runtime errors", "Comparison operators"):
    // terms of the chapter, for distractors.
    book.lines.forEach((line, i) => {
      const unit = book.info[i]!.unit;
      // A heading follows a finished sentence (not "The output is:") and opens a paragraph.
      const before = book.info[i - 1]?.role === 'prose' ? book.lines[i - 1]! : '.';
      if (!unit || book.info[i]!.role !== 'prose' || !/[.!?]["')\]”’]?$/.test(before) || lineWords(book.lines[i + 1] ?? '') < 6) return;
      if (lineWords(line) > 5 || /[.,;:!?]$/.test(line) || !/^[A-Za-z]/.test(book.lines[i + 1] ?? '') || /^(?:Example|Introduction|Summary)\b|\bDescription\b|\b[A-Z]{2,}\b/.test(line)) return;
      // "Multiple inheritance basics", "Alternative inheritance terms": about a topic, not a term.
      if (/\b(?:basics|terms|overview|examples?|review|summary|practice|revisited|recap)$|^(?:benefits|advantages|uses|types|kinds|examples) of\b/i.test(line)) return;
      // Code lines are not headings ("import area").
      if (isCodeLike(line) || /^(?:import|from|return|print|def|class|raise|del|pass|break|continue|with|try|except)\b/.test(line)) return;
      const raw = line.replace(/^(?:The|A|An) /, '');
      const term = makeTerm(raw, unit, book, /[^s]s$/.test(raw), { from: 'heading' });
      // A capitalised heading word the text never writes in lower case is a name ("Berkeley").
      if (termLike(raw) && !/^[A-Z]/.test(term.display)) addTerm(term);
    });
    // Functions the chapter mentions by name: distractors for code terms when few are defined.
    for (const s of own) {
      // Plain names and module functions ("len()", "np.zeros()"), not example objects ("car_1.max_kmh()").
      for (const m of s.text.matchAll(/(?<![\w.])((?:[a-z]{1,6}\.)?_{0,2}[a-z][a-z_]*[a-z]_{0,2})\(\)/g)) {
        addTerm(makeTerm(`${m[1]}()`, s.unit, book, false, { from: 'mention' }));
      }
    }
  });

  // Rows of a reference table that say the same thing of two functions cannot have one answer.
  const descriptions = new Map<string, number>();
  for (const d of definitions) if (d.style !== 'sentence') descriptions.set(normaliseOption(d.prompt), (descriptions.get(normaliseOption(d.prompt)) ?? 0) + 1);
  const clear = definitions.filter((d) => d.style === 'sentence' || descriptions.get(normaliseOption(d.prompt)) === 1);

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

  // Key-term statements: a sentence whose subject is a term of its chapter ("A dictionary cannot
  // have duplicate keys.", "The get() method is called with the key …"). Weaker than definitions,
  // so they rank after them.
  const sources = new Set(clear.map((d) => d.quote));
  // Terms by chapter and first word, longest first: a sentence is matched against few of them.
  const byFirst = new Map<string, Map<string, Term[]>>();
  for (const [chapter, list] of terms) {
    const index = new Map<string, Term[]>();
    for (const t of [...list].sort((x, y) => y.display.length - x.display.length)) {
      const first = t.display.split(' ')[0]!.toLowerCase();
      index.set(first, [...(index.get(first) ?? []), t]);
    }
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
      const m = new RegExp(`^(?:In Python, )?(?:(?:A|An|The) )?(${escapeRe(t.display)}(?:e?s)?)(?=[ ,])`, 'i').exec(s.text);
      if (!m) continue;
      const after = s.text.slice(m[0].length).split(' ').filter(Boolean);
      if (/^(?:function|method|operator|keyword|statement),?$/.test(after[0] ?? '')) after.shift();
      if (/^(?:always|never|often|usually|also|only|commonly|typically|generally|[a-z]+ly)$/.test(after[0] ?? '')) after.shift();
      // The term must be the subject, not the first half of a compound ("A Python shell is …",
      // "Function calls must …"): a verb follows it, agreeing with it.
      const verb = (after[0] ?? '').replace(/,$/, '');
      const surface = m[1]!;
      const plural = isPlural(surface);
      const verbLike = AUXILIARIES.has(verb) || (/^[a-z]+$/.test(verb) && !FUNCTION_WORDS.has(verb) && (plural ? !/s$/.test(verb) : /[^s]s$/.test(verb)) && !AUXILIARIES.has(after[1] ?? ''));
      if (!verbLike || after.length < 5 || (t.code && surface !== t.display)) break;
      const prompt = blankOut(s.text, surface);
      const term = surface.length === t.display.length ? { ...t, unit: s.unit } : { ...makeTerm(surface, s.unit, s.book, true, { aliases: t.aliases }), plural: true };
      if (prompt) clear.push({ term, style: 'statement', prompt, quote: s.text, book: s.book, start: s.start, end: s.end, position: s.position, score: 1.5 - (s.summary ? 0.25 : 0) });
      break;
    }
    // A function named anywhere in the sentence: what a function does is specific to it, so the
    // blank has one answer ("Items can be deleted … using the del keyword or the ____ method.").
    const call = [...s.text.matchAll(/(?<![\w.])([a-z_][\w.]*)\(\)/g)].map((m) => list.find((t) => t.code && t.name === m[1] && t.display === `${m[1]}()`)).find(Boolean);
    // A list item ("Creating an ndarray by … using the np.array() function.") is no statement.
    const fragment = /^[A-Z][a-z]+ing\b/.test(s.text) && !s.text.split(' ').some((w) => AUXILIARIES.has(w));
    if (call && s.text.split(call.display).length === 2 && !fragment) {
      const prompt = blankOut(s.text, call.display);
      if (prompt) clear.push({ term: { ...call, unit: s.unit }, style: 'statement', prompt, quote: s.text, book: s.book, start: s.start, end: s.end, position: s.position, score: 1.25 - (s.summary ? 0.25 : 0) });
    }
  }

  // What each term is said to be or do: a distractor of which the book says the same is no wrong answer.
  const claims = new Map<string, Set<string>[]>();
  for (const d of clear) claims.set(d.term.key, [...(claims.get(d.term.key) ?? []), new Set(contentWords(d.prompt))]);

  const byUnit = new Map<Unit, Sentence[]>();
  for (const s of sentences) {
    const list = byUnit.get(s.unit);
    if (list) list.push(s);
    else byUnit.set(s.unit, [s]);
  }
  const chapterParts = new Map<string, string[]>();
  for (const s of sentences) {
    const parts = chapterParts.get(s.unit.chapter);
    if (parts) parts.push(s.text);
    else chapterParts.set(s.unit.chapter, [s.text]);
  }
  const chapterText = new Map([...chapterParts].map(([k, v]) => [k, v.join(' ')]));
  const analysis: Analysis = { books, definitions: clear, pool: terms, claims, chapterText, objectives, byUnit, summaries: sentences.filter((s) => s.summary) };
  analyses.set(passages, analysis);
  return analysis;
}

// ---------------------------------------------------------------------------------------------
// Multiple choice

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whether the quote already names the term (then it cannot be a wrong answer to its question). */
function inQuote(quote: string, quoteWords: Set<string>, t: Term): boolean {
  if (phrase(t.display).test(quote)) return true;
  if (t.code) return t.name !== null && called(t.name).test(quote);
  return contentWords(t.display).every((w) => quoteWords.has(w));
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

const nested = (a: string, b: string) => ` ${a} `.includes(` ${b} `) || ` ${b} `.includes(` ${a} `);

/**
 * Up to three wrong options: other terms of the same chapter and kind (code or not), none named in
 * the quote, none a synonym, a part or a whole of the answer ("covalent bond" / "polar covalent
 * bond" could both be right). Terms of the same section, of similar length and grammatical number
 * are preferred; the seed breaks ties.
 */
function distractors(d: Definition, pool: Term[], claims: Map<string, Set<string>[]>, text: string, seed: string): string[] {
  const t = d.term;
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
  const sameClaim = (u: Term) => (claims.get(u.key) ?? []).some((c) => jaccard(c, said) >= 0.4);
  const prefix = (x: Term) => (x.name?.includes('.') ? x.name.split('.')[0] : '');
  const scored = pool
    .filter((u) => u.code === t.code && u.key !== t.key && !t.aliases.includes(u.key) && !u.aliases.includes(t.key))
    // A module name among terms (or a term among module names) stands out.
    .filter((u) => (u.from === 'module') === (t.from === 'module'))
    .filter((u) => (t.code ? u.name !== t.name : !nested(u.key, t.key)) && !inQuote(d.quote, quoteWords, u) && !sameClaim(u))
    .map((u) => {
      let score = -0.75 * Math.abs(u.words - t.words) + (u.unit === t.unit ? 1.5 : 0) + jitter(seed, `${d.quote}\u0000${u.key}`);
      const shown = form(u);
      if (shown === null) score -= d.style === 'glossary' ? 1.5 : 100;
      if (t.code) score += (prefix(u) === prefix(t) ? 1 : 0) + (/\(\)$/.test(u.display) === /\(\)$/.test(t.display) ? 0.5 : 0) - (u.from === 'mention' ? 1 : 0);
      return { u, score, shown: shown ?? u.display };
    })
    .sort((a, b) => b.score - a.score);
  const out: Term[] = [];
  const shown: string[] = [];
  for (const c of scored) {
    if (out.length >= 3 || c.score < -50) break;
    if (out.some((o) => o.key === c.u.key || (o.name !== null && o.name === c.u.name) || nested(o.key, c.u.key))) continue;
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
function multipleChoice(a: Analysis, seed: string): Ranked[] {
  const out: Ranked[] = [];
  const origins = new Set<string>();
  const asked = new Set<string>();
  const strongest = [...a.definitions].sort((x, y) => y.score - x.score || x.book.order - y.book.order || x.position - y.position);
  for (const d of strongest) {
    const origin = normaliseOrigin(d.quote);
    if (origins.has(origin)) continue;
    const wrong = distractors(d, a.pool.get(d.term.unit.chapter) ?? [], a.claims, a.chapterText.get(d.term.unit.chapter) ?? '', seed);
    if (wrong.length < 2) continue;
    const passage = holder(d.book, d.start, d.end);
    if (!passage) continue;
    origins.add(origin);
    const term = `${d.book.order}:${d.term.code ? d.term.name : d.term.key}`;
    const tier = asked.has(term) ? 1 : 0;
    asked.add(term);
    const options = shuffle([d.term.display, ...wrong], random(`${seed}\u0000${d.quote}`));
    out.push({
      unit: d.term.unit,
      book: d.book.order,
      position: d.position,
      score: d.score,
      tier,
      item: {
        type: 'MULTIPLE_CHOICE',
        prompt: mcPrompt(d),
        options,
        correctIndex: options.indexOf(d.term.display),
        modelAnswer: null,
        rubric: [],
        points: 1,
        source: { bookId: d.book.bookId, pageStart: passage.pageStart, pageEnd: passage.pageEnd, quote: d.quote },
        origin: normaliseOrigin(d.quote),
      },
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Short answer

/**
 * Points: one per rubric point (2–4), so a fuller answer is worth more and a grader can award
 * each point found.
 */
function shortAnswer(prompt: string, rubric: Sentence[], origin: string): CandidateItem | null {
  const lead = rubric[0]!;
  const passage = holder(lead.book, lead.start, lead.end);
  if (!passage) return null;
  return {
    type: 'SHORT_ANSWER',
    prompt,
    options: [],
    correctIndex: null,
    modelAnswer: rubric.map((s) => s.text).join(' '),
    rubric: rubric.map((s) => s.text),
    points: rubric.length,
    source: { bookId: lead.book.bookId, pageStart: passage.pageStart, pageEnd: passage.pageEnd, quote: lead.text },
    origin: normaliseOrigin(origin),
  };
}

// Per sentence, computed once: many objectives of a section score the same sentences.
const facts = new WeakMap<Sentence, { answerable: boolean; words: Set<string>; defines: boolean }>();
function factsOf(s: Sentence) {
  let f = facts.get(s);
  if (!f) {
    f = { answerable: usable(s, 60) && holder(s.book, s.start, s.end) !== null, words: new Set(contentWords(s.text)), defines: defineFromSentence(s) !== null };
    facts.set(s, f);
  }
  return f;
}
const answerable = (s: Sentence) => factsOf(s).answerable;

/**
 * Up to `n` of the ranked sentences, none saying again what a chosen one (or `given`) says: most
 * (80 %) of the content words of the shorter one in the other ("Fatty acids may be saturated or
 * unsaturated." / "Fatty acids may be unsaturated or saturated, depending on …").
 */
function distinctPoints(ranked: Sentence[], given: Sentence[], n: number): Sentence[] {
  const out: Sentence[] = [];
  const repeats = (a: Sentence, b: Sentence) => {
    const x = factsOf(a).words;
    const y = factsOf(b).words;
    let both = 0;
    for (const w of x) if (y.has(w)) both++;
    return both >= 0.8 * Math.min(x.size, y.size);
  };
  for (const s of ranked) {
    if (out.length >= n) break;
    if (![...given, ...out].some((o) => repeats(o, s))) out.push(s);
  }
  return out;
}

function shortAnswers(a: Analysis): Ranked[] {
  const out: Ranked[] = [];
  // Two objectives of a section answered by the same sentences would be one question twice.
  const used = new Map<Unit, Set<string>[]>();
  const repeats = (unit: Unit, rubric: Sentence[]) => {
    const earlier = used.get(unit) ?? [];
    if (earlier.some((set) => rubric.filter((r) => set.has(r.text)).length * 2 > rubric.length)) return true;
    used.set(unit, [...earlier, new Set(rubric.map((r) => r.text))]);
    return false;
  };
  for (const o of a.objectives) {
    const about = aboutWords(o.text);
    if (!about.length) continue;
    const need = about.length >= 3 ? 2 : 1;
    const seen = new Set<string>();
    const candidates = (a.byUnit.get(o.unit) ?? [])
      .filter(answerable)
      .map((s) => {
        const { words, defines } = factsOf(s);
        const hits = about.filter((w) => words.has(w) || [...words].some((x) => related(w, x))).length;
        // A sentence leaning on the one before ("These …", "It …") is a poor point on its own.
        const leans = /^(?:This|These|That|Those|It|Its|They|Their|Such|Here|Therefore|Thus|However|Also|Then|For example|For instance)\b|\bthese\b/.test(s.text) ? 1 : 0;
        return { s, hits, score: hits + (defines ? 0.5 : 0) - (s.summary ? 0.25 : 0) - leans };
      })
      .filter((x) => x.hits >= need)
      .sort((x, y) => y.score - x.score || x.s.position - y.s.position)
      .filter((x) => !seen.has(x.s.text) && seen.add(x.s.text))
      .map((x) => x.s);
    const ranked = distinctPoints(candidates, [], 3).sort((x, y) => x.position - y.position);
    if (ranked.length < 2 || repeats(o.unit, ranked)) continue;
    const item = shortAnswer(objectivePrompt(o.text), ranked, o.text);
    if (item) out.push({ item, unit: o.unit, book: o.book.order, position: o.position, score: 2, tier: 0 });
  }
  // "What is matter?" from a summary's "Matter is anything that occupies space and has mass."
  const asked = new Set(out.map((r) => normalisePrompt(r.item.prompt)));
  for (const s of a.summaries) {
    if (!answerable(s)) continue;
    const d = defineFromSentence(s);
    if (!d || d.score < 3 || isCodeLike(d.raw) || !s.text.startsWith(d.raw.split(' ')[0]!) && !/^(?:A|An|The) /.test(s.text)) continue;
    const head = new RegExp(`^(?:(A|An|The) )?${escapeRe(d.raw)} (is|are) `).exec(s.text);
    if (!head) continue;
    const verb = head[2]!;
    const term = `${head[1] ? `${head[1].toLowerCase()} ` : ''}${display(d.raw, s.book)}`;
    const defWords = new Set(contentWords(s.text));
    const others = (a.byUnit.get(s.unit) ?? [])
      .filter((x) => x !== s && x.text !== s.text && answerable(x) && containsTerm(x.text, d.raw))
      .map((x) => ({ x, score: contentWords(x.text).filter((w) => defWords.has(w)).length }))
      .sort((p, q) => q.score - p.score || p.x.position - q.x.position)
      .map((p) => p.x);
    const more = distinctPoints(others, [s], 2).sort((p, q) => p.position - q.position);
    if (!more.length || repeats(s.unit, [s, ...more])) continue;
    const item = shortAnswer(`What ${verb} ${term}?`, [s, ...more], s.text);
    if (item && asked.has(normalisePrompt(item.prompt))) continue;
    if (item) asked.add(normalisePrompt(item.prompt));
    if (item) out.push({ item, unit: s.unit, book: s.book.order, position: s.position, score: 1.5, tier: 0 });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Order: spread over the material

interface Ranked {
  item: CandidateItem;
  unit: Unit;
  book: number;
  position: number;
  score: number;
  tier: number;
}

const GOLDEN = 0.6180339887498949;

/**
 * Best first, but spread: chapters take turns, and within a chapter its sections take turns, each
 * giving its best remaining candidate. Turns follow a golden-ratio sequence from a seeded start,
 * so any prefix (a 10-item exam from a 15-chapter book) is spread across the whole book rather
 * than taken from its first chapters.
 */
function spread(all: Ranked[], seed: string): CandidateItem[] {
  const tiers = [...new Set(all.map((r) => r.tier))].sort((x, y) => x - y);
  return tiers.flatMap((tier) => spreadTier(all.filter((r) => r.tier === tier), seed));
}

function spreadTier(list: Ranked[], seed: string): CandidateItem[] {
  const offset = random(`${seed}\u0000spread`)();
  const golden = <T>(xs: T[]) =>
    xs
      .map((x, i) => ({ x, k: (offset + i * GOLDEN) % 1 }))
      .sort((p, q) => p.k - q.k)
      .map((p) => p.x);
  const chapters = new Map<string, Map<Unit, Ranked[]>>();
  for (const r of [...list].sort((p, q) => p.book - q.book || p.position - q.position)) {
    const units = chapters.get(r.unit.chapter) ?? new Map<Unit, Ranked[]>();
    units.set(r.unit, [...(units.get(r.unit) ?? []), r]);
    chapters.set(r.unit.chapter, units);
  }
  const rank = (r: Ranked) => r.score + 0.4 * jitter(seed, r.item.origin);
  const queues = golden([...chapters.values()]).map((units) => {
    const lists = golden([...units.values()]).map((rs) => [...rs].sort((p, q) => rank(q) - rank(p)));
    const out: Ranked[] = [];
    for (let round = 0; out.length < lists.reduce((n, l) => n + l.length, 0); round++) for (const l of lists) if (l[round]) out.push(l[round]!);
    return out;
  });
  const out: CandidateItem[] = [];
  const total = queues.reduce((n, q) => n + q.length, 0);
  for (let round = 0; out.length < total; round++) for (const q of queues) if (q[round]) out.push(q[round]!.item);
  return out;
}

export class OfflineGenerator implements CandidateSource {
  readonly kind = 'EXTRACTIVE' as const;

  async *candidates(request: GenerationRequest, type: ItemType, _want: number): AsyncIterable<CandidateItem> {
    const a = analyse(request.passages);
    const ranked = type === 'MULTIPLE_CHOICE' ? multipleChoice(a, request.seed) : shortAnswers(a);
    for (const item of spread(ranked, request.seed)) yield item;
  }
}
