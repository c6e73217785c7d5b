// The text pipeline on the real textbooks and the malformed files in ../shared/data.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { repoRoot } from '@ai-teacher/shared';
import { LocalHashingEmbedder } from '../embeddings/local-embedder.ts';
import { chunkPages, type Chunk, isHeading } from './chunk.ts';
import { cleanPages } from './clean.ts';
import { extractPdfText, PdfRejectedError } from './pdf-text.ts';

const data = join(repoRoot, '..', 'shared', 'data');
const read = (p: string) => new Uint8Array(readFileSync(join(data, p)));
const limits = { maxPages: 2000, maxChars: 20_000_000 };

describe('extractPdfText on the malformed inputs', () => {
  it.each([
    ['empty.pdf', /^empty file$/],
    ['not-a-pdf.pdf', /not a PDF/],
    ['truncated.pdf', /truncated or damaged PDF/],
    ['encrypted.pdf', /password-protected PDF is not supported/],
  ])('%s is rejected: %s', async (file, reason) => {
    await expect(extractPdfText(read(`bad-inputs/${file}`), limits)).rejects.toThrow(PdfRejectedError);
    await expect(extractPdfText(read(`bad-inputs/${file}`), limits)).rejects.toThrow(reason);
  });

  it('refuses too many pages before reading them', async () => {
    const started = Date.now();
    await expect(extractPdfText(read('bad-inputs/huge-page-count.pdf'), limits)).rejects.toThrow('too many pages (3000 > 2000)');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('recovers the 4 pages of a PDF with a garbage cross-reference table', async () => {
    const pdf = await extractPdfText(read('bad-inputs/garbage-xref.pdf'), limits);
    expect(pdf.pageCount).toBe(4);
    expect(pdf.pages.join(' ')).toMatch(/Isotopes are different forms of an element/);
  });

  it('finds no text in an image-only page', async () => {
    const pdf = await extractPdfText(read('bad-inputs/image-only.pdf'), limits);
    expect(pdf.pages.join('').trim()).toBe('');
  });
});

describe('the Python textbook', () => {
  let pages: string[][];
  let chunks: Chunk[];
  const progress: number[] = [];
  beforeAll(async () => {
    const pdf = await extractPdfText(read('textbooks/intro-python-programming.pdf'), { ...limits, onProgress: (done, total) => void progress.push(done / total) });
    expect(pdf.pageCount).toBe(200);
    pages = cleanPages(pdf.pages);
    chunks = chunkPages(pages);
  }, 60_000);

  it('reports progress as it goes', () => {
    expect(progress.length).toBeGreaterThan(4);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(1);
  });

  it('drops running page numbers', () => {
    const stillNumbered = pages.filter((lines, i) => lines[0] === String(i + 1) || lines.at(-1) === String(i + 1));
    expect(stillNumbered).toEqual([]);
  });

  it('keeps passages passages: ≤ 3 pages, ≤ 400 words, with page spans in order', () => {
    expect(chunks.length).toBeGreaterThan(150);
    for (const c of chunks) {
      expect(c.pageEnd - c.pageStart).toBeLessThan(3);
      expect(c.wordCount).toBeLessThanOrEqual(400);
      expect(c.pageStart).toBeGreaterThanOrEqual(1);
      expect(c.pageEnd).toBeLessThanOrEqual(200);
    }
    const words = chunks.map((c) => c.wordCount).sort((a, b) => a - b);
    expect(words[Math.floor(words.length / 2)]).toBeGreaterThan(150);
  });

  it('knows the section each passage belongs to', () => {
    const mixed = chunks.find((c) => c.text.includes('Mixed data types') && c.section === '2.3 Mixed data types');
    expect(mixed).toBeDefined();
    expect(new Set(chunks.map((c) => c.section)).size).toBeGreaterThan(90);
  });
});

describe('headings', () => {
  it.each(['2.3 Mixed data types', '14.6 Chapter summary', 'Chapter 4 Loops', '3.1.2 Atomic mass'])('%s is a heading', (l) => expect(isHeading(l)).toBe(true));
  it.each(['74 minus 456 is -382', '1 class Pizza:', '4. Loop back to step 1', '2 cups sourdough starter', '12'])('%s is not', (l) => expect(isHeading(l)).toBe(false));
});

describe('cleanPages', () => {
  it('removes a running header and joins hyphenated words', () => {
    const topics = ['atoms', 'ions', 'water', 'carbon', 'lipids', 'proteins'];
    const raw = topics.map((t, i) => `Biology 2e\nChapter 2 | The Chemical Foundation\nThis page on ${t} starts with an experi-\nment and goes on.\nIt ends with ${t}.\n${i + 40}`);
    const clean = cleanPages(raw);
    expect(clean[0]).toEqual(['This page on atoms starts with an experiment', 'and goes on.', 'It ends with atoms.']);
  });
});

describe('LocalHashingEmbedder', () => {
  const e = new LocalHashingEmbedder(256);
  const cos = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);
  it('is deterministic, unit length, and closer for related text', async () => {
    const [a, b, c, a2] = await e.embed(['while loops repeat a block', 'a while loop repeats code', 'photosynthesis in plant cells', 'while loops repeat a block']);
    expect(a).toEqual(a2);
    expect(Math.abs(cos(a!, a!) - 1)).toBeLessThan(1e-9);
    expect(cos(a!, b!)).toBeGreaterThan(cos(a!, c!) + 0.05);
  });
});
