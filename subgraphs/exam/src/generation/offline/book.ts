// The book put back together from retrieval's passages. They overlap and carry the PDF's line
// breaks, so the reading order is restored first; then every line is given its role (prose,
// learning objective, glossary, or skipped: exercise, caption, image description, question box)
// and its section, following the book's headings and feature boxes. What the book marks as an
// exercise or a question box must never become an exam question.
import { collapse } from '../text.ts';
import type { SourcePassage } from '../types.ts';

export interface Unit {
  /** Unique per book and section. */
  key: string;
  title: string;
  /** Unique per book and chapter: distractors come from the same chapter. */
  chapter: string;
  order: number;
  /** A whole section that summarises its chapter (Python "N.M Chapter summary"). */
  summary: boolean;
}

export type Role = 'skip' | 'prose' | 'objective' | 'glossary';

export interface LineInfo {
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

export interface Book {
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
  /** Capitalised words seen inside sentences ("… the Python interpreter"): names, not sentence starts. */
  upper: Set<string>;
}


export const lineWords = (s: string) => s.split(' ').filter(Boolean).length;
export const endsSentence = (s: string) => /[.!?:]["')\]”’]?$/.test(s);

/** The passages of one book, in reading order, as one stream of lines with the overlaps removed. */
function stitch(bookId: string, order: number, passages: SourcePassage[]): Omit<Book, 'info' | 'lower' | 'upper'> {
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

export const OBJECTIVE_VERBS = new Set(
  'Access Analyze Apply Assign Build Calculate Call Choose Classify Combine Compare Concatenate Construct Contrast Convert Correct Create Debug Define Demonstrate Describe Design Determine Develop Differentiate Discuss Display Distinguish Draw Employ Evaluate Explain Explore Extract Format Identify Illustrate Implement Import Inspect Interpret Iterate Label List Modify Name Obtain Open Outline Perform Predict Provide Raise Read Recall Recognize Relate Remove Replace Search Select State Store Summarize Test Trace Understand Use Write'.split(
    ' ',
  ),
);

const BOX_TITLE = /^(?:Evolution|Career|Everyday|Scientific Method|Global) Connection/;
const EXERCISE_BLOCK = /^(?:Try It\b|Concepts in Practice|Programming practice|Review Questions|Critical Thinking Questions|Mini-project)/;

type Mode = 'front' | 'body' | 'chapter-title' | 'objectives-intro' | 'objectives' | 'glossary' | 'exercise' | 'visual' | 'aside' | 'caption';

/** Gives every line its role and section, following the book's headings and feature boxes. */
function classify(book: Omit<Book, 'info' | 'lower' | 'upper'>): LineInfo[] {
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

/** One book's passages as a stream of lines, each with its role and section. */
export function readBook(bookId: string, order: number, passages: SourcePassage[]): Book {
  const stitched = stitch(bookId, order, passages);
  const info = classify(stitched);
  const lower = new Set<string>();
  const upper = new Set<string>();
  stitched.lines.forEach((l, i) => {
    if (info[i]!.role !== 'prose') return;
    for (const m of l.matchAll(/(?<![\w./@-])([a-z][a-z'’-]*)(?![\w(]|\.\w)/g)) lower.add(m[1]!);
    for (const m of l.matchAll(/(?<=[a-z,;] )([A-Z][a-z'’-]*)\b/g)) upper.add(m[1]!);
  });
  return { ...stitched, info, lower, upper };
}

/** The passage holding stream lines start..end whole (the first one, if the overlap holds it twice). */
export function holder(book: Book, start: number, end: number): SourcePassage | null {
  for (const s of book.spans) if (s.start <= start && end < s.end) return s.passage;
  return null;
}
