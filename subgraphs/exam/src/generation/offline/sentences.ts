// Prose cut into sentences, and the tests a sentence passes before it is quoted in a question:
// whole, plain prose, no code, no exercise text, no reference to what the student cannot see.
import { ABBREVIATION, contentWords, isExerciseText, SENTENCE_END } from '../text.ts';
import { type Book, endsSentence, lineWords, type Unit } from './book.ts';

export interface Sentence {
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

/** Prose lines joined back into paragraphs (undoing the PDF's wrapping) and cut into sentences. */
export function sentencesOf(book: Book, first: number): Sentence[] {
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
    for (const m of text.matchAll(SENTENCE_END)) {
      if (ABBREVIATION.test(text.slice(from, m.index + 1))) continue;
      emit(m.index + m[1]!.length + m[2]!.length);
      from = m.index + m[0].length;
    }
    emit(text.length);
    i = j + 1;
  }
  return out;
}

/**
 * What the book's worked examples name: classes and functions its code defines ("class Mint(Plant):",
 * "def calc_tax(…)"), variables it assigns ("data = file.read()"), and string values it uses
 * ("admin"). A sentence about them explains one program, not the subject; a question on it cannot
 * be answered without the example, and the names are no terms of the course.
 */
export interface ExampleNames {
  classes: Set<string>;
  functions: Set<string>;
  variables: Set<string>;
  values: Set<string>;
  /** Hyphenated words with the hyphen dropped ("ifelse"), to spot words the PDF glued together. */
  glued: Set<string>;
  /** Names in the examples' strings that prose hardly uses otherwise and never in lower case ("Jamie"). */
  people: Set<string>;
}

const exampleCache = new WeakMap<Book, ExampleNames>();

export function exampleNames(book: Book): ExampleNames {
  let names = exampleCache.get(book);
  if (names) return names;
  names = { classes: new Set(), functions: new Set(), variables: new Set(), values: new Set(), glued: new Set(), people: new Set() };
  const quoted = new Set<string>();
  const prose: string[] = [];
  // Every line, exercises included: an exercise's classes ("Given a class Dessert") are examples too.
  book.lines.forEach((numbered, i) => {
    // Code listings carry the book's line numbers ("4 student_list = [\"Jamie\", …]").
    const line = numbered.replace(/^\d{1,3} (?=\S)/, '');
    for (const m of line.matchAll(/\bclass ([A-Z]\w*)\s*[(:]/g)) names.classes.add(m[1]!);
    for (const m of line.matchAll(/=\s*([A-Z][a-z]+[A-Z]?\w*)\(/g)) names.classes.add(m[1]!);
    const def = /^\s*def ([A-Za-z_]\w*)\s*\(/.exec(line);
    // Special methods (__init__()) belong to the language, not to the example.
    if (def && !/^__\w+__$/.test(def[1]!)) names.functions.add(def[1]!);
    const assigned = /^\s*([a-z_][a-z0-9_]*)\s*=(?!=)/.exec(line);
    if (assigned) names.variables.add(assigned[1]!);
    if (looksLikeCode(line) || /==|\bprint\(/.test(line)) {
      for (const m of line.matchAll(/["']([^"'\n]{1,30})["']/g)) {
        names.values.add(m[1]!.toLowerCase());
        if (/^[A-Z][a-z]+$/.test(m[1]!)) quoted.add(m[1]!);
      }
    } else if (book.info[i]!.role === 'prose' && !line.startsWith('#')) prose.push(line);
    if (line.includes('-')) for (const m of line.matchAll(/\b([a-z]+)-([a-z]+)\b/g)) names.glued.add(`${m[1]}${m[2]}`);
  });
  // Counted in one pass over the text, and only for the words in question.
  const text = book.lines.join('\n');
  const bare = new Map<string, number>();
  for (const m of text.matchAll(/(?<![\w-])[a-z]{4,}(?![\w-])/g)) if (names.glued.has(m[0])) bare.set(m[0], (bare.get(m[0]) ?? 0) + 1);
  const capitals = new Map<string, number>();
  for (const m of prose.join('\n').matchAll(/\b[A-Z][a-z]+\b/g)) if (quoted.has(m[0])) capitals.set(m[0], (capitals.get(m[0]) ?? 0) + 1);
  // "email" is a word of its own when the book writes it so often enough; "ifelse" once is a slip.
  for (const g of names.glued) if ((bare.get(g) ?? 0) > 2) names.glued.delete(g);
  // A name in the examples' strings that the prose writes only a few times is one of theirs.
  for (const q of quoted) if ((capitals.get(q) ?? 0) <= 3 && !book.lower.has(q.toLowerCase())) names.people.add(q);
  exampleCache.set(book, names);
  return names;
}

// Words that follow "variable" without being a variable's name ("a variable name", "variable scope").
const NOT_A_NAME = new Set('name names scope scopes value values type types'.split(' '));

/**
 * A sentence bound to a worked example: it names the example's classes ("same functionality as
 * Plant"), functions ("factorial() is defined"), variables ("The variable data is …", "a string
 * variable, user,") or values ("the keys "banana" and "apple"", "n - 1"), or points at the example
 * itself ("the program above", "the provided list").
 */
export function exampleBound(s: Sentence): boolean {
  const t = s.text;
  const names = exampleNames(s.book);
  if (/\b(?:the|this|that|these|those|our) (?:examples?|animation|exercise|illustration)\b|\b(?:program|code|output|example) (?:above|below)\b|\bis assigned with\b|\bthe provided\b/i.test(t)) return true;
  // A value of the example's own variables: "the argument passed to factorial() is n - 1".
  if (/\b[a-z] (?:[-+*/%]|\*\*) \d+\b/.test(t)) return true;
  for (const m of t.matchAll(/\b[A-Z][a-z]+[A-Z]?\w*\b/g)) if (names.classes.has(m[0])) return true;
  for (const m of t.matchAll(/(?<![\w.])([A-Za-z_]\w*)\(/g)) if (names.functions.has(m[1]!)) return true;
  for (const m of t.matchAll(/\b(?:variable|parameter)s?,? ([a-z_][a-z0-9_]*)(?=[,.;)]| (?:is|are|was|has|holds|refers|contains|stores|becomes)\b)/g)) {
    const name = m[1]!;
    if (!NOT_A_NAME.has(name) && (name.length === 1 || /[_\d]/.test(name) || names.variables.has(name))) return true;
  }
  for (const m of t.matchAll(/["“]([^"”]{1,30})["”]/g)) if (names.values.has(m[1]!.toLowerCase())) return true;
  for (const m of t.matchAll(/\b[A-Z][a-z]+\b/g)) if (names.people.has(m[0])) return true;
  return false;
}

/**
 * Text the PDF damaged: a doubled capital ("TThe most common isotope"), an exponent flattened
 * into the line ("1.8 × 10308", "10-28"), a word written twice, words glued where the book
 * hyphenates ("ifelse"), or table cells run together ("Line plot A series of …").
 */
export function damaged(s: Sentence): boolean {
  const t = s.text;
  if (/^["“(]?([A-Z])\1[a-z]/.test(t) || /×\s?10-?\d{2,}|\b10-\d+\b/.test(t) || /\b(?!that\b|had\b)([a-z]{3,}) \1\b/i.test(t)) return true;
  if (/[a-z)] (?:A|An|The) [a-z]/.test(t) || /[a-z]{3,} (?:Example|Description|Output|Input|Syntax|Parameter|Mode|Explanation|Purpose|Visualize)\b/.test(t)) return true;
  const glued = exampleNames(s.book).glued;
  return (t.match(/(?<![\w-])[a-z]{4,}(?![\w-])/g) ?? []).some((w) => glued.has(w));
}

// Verbs that open an instruction to the reader ("Remember input() reads …", "Avoid multiple spaces …").
const IMPERATIVE = new Set('Remember Note Recall Consider Visit See Avoid Make Try Let Imagine Suppose Keep Be Do Don’t Don\'t Open Notice Observe Think Look Click Refer Check Enter Write Run Add Use Compare Assume Begin Start Go Read Close Save Choose Pick Find Give Take'.split(' '));

/** Addressed to the reader ("You should also be able to …", "Remember …", "we need to …"), not a statement of the subject. */
export function addressesReader(s: Sentence): boolean {
  const t = s.text;
  return IMPERATIVE.has(t.replace(/^["“(]/, '').split(' ')[0]!) || /\b(?:you|your|yourself)\b|\bwe(?:’ll|'ll| need| must| will| shall)\b|\blet(?:’s|'s| us)\b/i.test(t);
}

/**
 * Points at something outside the sentence: a demonstrative whose noun the sentence has not named
 * ("Scientists refer to this movement of …", "belong to that language", "thousands of such
 * linkages"; "… the key … that key" points inside), or an opening that continues the sentence
 * before ("Therefore, …", "In contrast, …", "As discussed earlier, …").
 */
export function pointsOutside(s: Sentence): boolean {
  const t = s.text;
  // "The reason they do not is …", "The response is …" (one word: the response in the text before),
  // "Unlike the fats that we discussed earlier, …", "… as discussed in the Modules chapter, …",
  // "Throughout the book, functions have been called …".
  if (/^(?:\S+ ){1,3}(?:they|them|it|its|their|he|she|his|her)\b/i.test(t) || /^The [a-z]+ (?:is|are|was|were)\b/.test(t)) return true;
  if (/\bas (?:\w+ )?(?:discussed|described|mentioned|noted|shown|seen|explained)\b|\b(?:discussed|described|mentioned|explained|seen|shown) (?:earlier|before|previously|later)\b|\bthroughout (?:the|this) (?:book|chapter|section)\b/i.test(t)) return true;
  if (/^(?:Therefore|Thus|Hence|However|Also|Then|So|But|And|Or|Instead|Otherwise|Similarly|Likewise|Additionally|Furthermore|Moreover|Consequently|Alternatively|Again|Still|Yet|Overall|Finally|Next|Now|Rather|Meanwhile|In (?:contrast|addition|other words|fact|turn|general|this case)(?! to)|As a result|For (?:example|instance)|By contrast|On the other hand|Even so)\b|^As (?:\w+ ){0,2}(?:described|discussed|mentioned|noted|shown|seen|learned|explained)\b/.test(t)) return true;
  for (const m of t.matchAll(/\b(?:this|these|those|such|(?:to|of|in|on|for|from|with|by|at|about|into) that)\s+([a-z][\w-]*)/gi)) {
    const next = m[1]!.toLowerCase();
    if (next === 'as' || /^(?:is|are|was|were|can|may|will|would|has|have|had)$/.test(next)) continue;
    const before = new Set(contentWords(t.slice(0, m.index)));
    if (!contentWords(next).every((w) => before.has(w))) return true;
  }
  return false;
}

// A sentence worth quoting in a question: whole, plain prose, no code, no reference to something
// the student cannot see (a figure, "the following code", the book's worked example) or to the
// sentences around it, nothing the PDF damaged, no instruction to the reader, not a bare label.
export function usable(s: Sentence, maxWords = 45): boolean {
  const n = lineWords(s.text);
  if (n < 6 || n > maxWords || s.boxed) return false;
  let plain = plainCache.get(s);
  if (plain === undefined) {
    plain = isPlain(s);
    plainCache.set(s, plain);
  }
  return plain;
}

// Every sentence is judged by several passes (definitions, statements, rubrics): once is enough.
const plainCache = new WeakMap<Sentence, boolean>();

function isPlain(s: Sentence): boolean {
  const t = s.text;
  if (!/^["“(]?[A-Z]/.test(t) || !/[.]["')”’]?$/.test(t)) return false;
  // A sentence that starts by pointing back ("It …", "These …") needs the one before it.
  if (/^(?:It|Its|They|Their|This|These|That|Those|He|She|Here|There)\b|^We now\b/.test(t)) return false;
  if (/^(?:Ex|Figure|Table|Example|Note)\b/.test(t) || /\bEx:|\[|→|>>>|\s=\s|==/.test(t) || isExerciseText(t)) return false;
  if (/\b(?:Figure|Table|Lines?)\s+\d|\b(?:following|below|above|shown)\b|\bthis (?:example|figure|table|code|program|animation|chapter|section|book)\b/i.test(t)) return false;
  if (looksLikeCode(t)) return false;
  // Table headers run into the text ("floating-point Example Output Explanation formatting").
  if (/\S \b[A-Z][a-z]+ [A-Z][a-z]+ [A-Z][a-z]+\b|\b(?:Method|Function|Module|Operator|Statement|Concept|Syntax) Description\b/.test(t)) return false;
  return !damaged(s) && !addressesReader(s) && !exampleBound(s) && !pointsOutside(s) && !fragment(t);
}

/**
 * A noun phrase without a verb: a list item or a label ("The line number of the error."), not a
 * statement. Only phrases opening with an article or a gerund are judged: "Programs often use …"
 * has its verb in a form no suffix shows.
 */
const fragment = (t: string) =>
  /^(?:The|A|An|[A-Z][a-z]+ing) /.test(t) && !/\b(?:is|are|was|were|be|been|being|has|have|had|can|cannot|could|may|might|must|shall|should|will|would|does|do|did)\b/i.test(t) && !/ [a-z]+(?:s|ed)\b/.test(t);

// Code: an assignment, a call standing alone, a statement keyword with its colon, an interpreter prompt.
const looksLikeCode = (s: string) =>
  /^>>>|[a-z_]\w*\s*[-+*/%]?=\s*\S|^\s*(?:print|def|for|while|if|elif|else|import|return|class)\b.*[:)]\s*$|^\s*[\w.]+\(.*\)\s*$/.test(s) && !/[a-z]{3,} [a-z]{3,} [a-z]{3,} [a-z]{3,}/.test(s);
