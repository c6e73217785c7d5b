// Text helpers shared by the gates and the generators: how text is flattened, compared and split
// into words and sentences. Both sides must agree on these, or a gate would judge an item by a
// different reading of the book than the generator that made it.

const STOP = new Set(
  ('a about above after again all also am an and any are as at be because been before being below between both but by can could did do does doing down during each few for from further had has have having he her here hers him his how i if in into is it its itself just me more most my no nor not now of off on once only or other our out over own same she should so some such than that the their theirs them then there these they this those through to too under until up very was we were what when where which who whom why will with would you your yours').split(
    ' ',
  ),
);

/** Whitespace collapsed to single spaces, ends trimmed: how quotes are compared with the book. */
export function collapse(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

export const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

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

// A sentence ends at . ! or ? (and a closing quote or bracket) before a capital, digit or opening
// quote; "e.g.", "Ex.", initials and the like do not end one.
export const SENTENCE_END = /([.!?])(["')\]”’]?)\s+(?=["'(“‘[]?[A-Z0-9])/g;
export const ABBREVIATION = /(?:\b(?:e\.g|i\.e|etc|vs|Ex|Dr|Mr|Mrs|Ms|St|No|Fig|approx|al|cf)|(?:^|\s)[A-Z])\.$/;

/** Cuts running text into sentences (a model answer, a paragraph joined from its lines). */
export function splitSentences(text: string): string[] {
  const out: string[] = [];
  let from = 0;
  for (const m of text.matchAll(SENTENCE_END)) {
    if (ABBREVIATION.test(text.slice(from, m.index + 1))) continue;
    out.push(text.slice(from, m.index + m[1]!.length + m[2]!.length).trim());
    from = m.index + m[0].length;
  }
  out.push(text.slice(from).trim());
  return out.filter(Boolean);
}
