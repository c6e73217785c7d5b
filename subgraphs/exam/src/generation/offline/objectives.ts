// Learning objectives ("By the end of this section you should be able to …"): what a section
// says it teaches, and so what a short-answer question may ask.
import { collapse, contentWords } from '../text.ts';
import { type Book, OBJECTIVE_VERBS, type Unit } from './book.ts';

export interface Objective {
  text: string;
  unit: Unit;
  book: Book;
  position: number;
}

export function objectivesOf(book: Book): Objective[] {
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
export function related(a: string, b: string): boolean {
  const n = Math.min(a.length, b.length);
  if (n < 6) return false;
  let k = 0;
  while (k < n && a[k] === b[k]) k++;
  return k >= 6 && k >= 0.75 * n;
}

// The words an objective is about, without its verb and the words every objective shares.
const OBJECTIVE_NOISE = new Set(['use', 'using', 'able', 'two', 'different', 'given', 'way', 'ways', 'role', 'concept', 'importance']);
export const aboutWords = (objective: string) => [...new Set(topicWords(objective.split(' ').slice(1).join(' ')))].filter((w) => !OBJECTIVE_NOISE.has(w));

/**
 * Content words, and a keyword with the construct it names as one more word ("while loop", "if
 * statement", "in operator"): the keyword alone is a stopword, but "Use a while loop …" is about
 * while loops, not about loops in general.
 */
export function topicWords(text: string): string[] {
  const out = contentWords(text);
  for (const m of text.toLowerCase().matchAll(/\b(for|while|if|else|elif|in|not|and|or|is|with|try|except|return|break|continue|import|from|def|class)[ -](loops?|statements?|operators?|keywords?|clauses?|blocks?)\b/g)) out.push(`${m[1]} ${m[2]!.replace(/s$/, '')}`);
  return out;
}
