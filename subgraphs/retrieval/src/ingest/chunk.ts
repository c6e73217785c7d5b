// Splits a book's clean lines into passages for retrieval: along section headings, about 200–400
// words, a sentence or two of overlap, never more than 3 pages, each with its page span and the
// title of the section it belongs to.

export interface Chunk {
  /** 0-based position in the book. */
  index: number;
  text: string;
  pageStart: number;
  pageEnd: number;
  section: string | null;
  wordCount: number;
}

export interface ChunkOptions {
  targetWords: number;
  maxWords: number;
  overlapWords: number;
  maxPages: number;
}

export const DEFAULT_CHUNKING: ChunkOptions = { targetWords: 280, maxWords: 400, overlapWords: 40, maxPages: 3 };

// "2.3 Mixed data types", "3.1.2 Atomic mass", "Chapter 4 Loops": dotted section numbers (or the
// word Chapter), then a capitalised title without a final period. Numbered list items and code
// ("4. Loop back", "1 class Pizza:") do not qualify.
const NUMBERED_HEADING = /^(?:[Cc]hapter\s+\d{1,2}|\d{1,2}(?:\.\d{1,2}){1,2})\s+[A-Z][A-Za-z][^.!:;=(){}[\]<>]{0,90}$/;

export function isHeading(line: string): boolean {
  return line.length <= 100 && line.split(' ').length <= 12 && NUMBERED_HEADING.test(line);
}

const words = (s: string) => s.split(/\s+/).filter(Boolean);
const endsSentence = (s: string) => /[.!?:]["')\]]?$/.test(s);

/** A "line" that is really a whole paragraph is cut into pieces so passages keep their size. */
function splitLong(line: string, max: number): string[] {
  const w = words(line);
  if (w.length <= max) return [line];
  const out: string[] = [];
  for (let i = 0; i < w.length; i += max) out.push(w.slice(i, i + max).join(' '));
  return out;
}

interface Line {
  text: string;
  page: number;
}

export function chunkPages(pages: string[][], opts: ChunkOptions = DEFAULT_CHUNKING): Chunk[] {
  const chunks: Chunk[] = [];
  let section: string | null = null;
  let buf: Line[] = [];
  let bufWords = 0;

  const emit = (keepOverlap: boolean) => {
    if (!buf.length) return;
    const text = buf.map((l) => l.text).join('\n');
    const count = words(text).length;
    if (count >= 8 || !chunks.length) {
      chunks.push({ index: chunks.length, text, pageStart: buf[0]!.page, pageEnd: buf.at(-1)!.page, section, wordCount: count });
    }
    if (keepOverlap && opts.overlapWords > 0) {
      // Carry the last lines (about overlapWords) into the next passage for context.
      const carry: Line[] = [];
      let n = 0;
      for (let i = buf.length - 1; i > 0 && n < opts.overlapWords; i--) {
        carry.unshift(buf[i]!);
        n += words(buf[i]!.text).length;
      }
      buf = n < bufWords ? carry : [];
      bufWords = buf.reduce((a, l) => a + words(l.text).length, 0);
    } else {
      buf = [];
      bufWords = 0;
    }
  };

  pages.forEach((lines, p) => {
    const page = p + 1;
    for (const text of lines.flatMap((l) => splitLong(l, Math.floor(opts.maxWords / 2)))) {
      if (isHeading(text)) {
        emit(false);
        section = text;
      }
      const w = words(text).length;
      const spanTooLong = buf.length > 0 && page - buf[0]!.page + 1 > opts.maxPages;
      if (spanTooLong || (bufWords + w > opts.maxWords && bufWords > 0)) emit(true);
      buf.push({ text, page });
      bufWords += w;
      if (bufWords >= opts.targetWords && endsSentence(text)) emit(true);
    }
  });
  emit(false);
  return chunks;
}
