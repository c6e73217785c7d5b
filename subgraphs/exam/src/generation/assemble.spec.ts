import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { repoRoot } from '@ai-teacher/shared';
import { chunkPages } from '../../../retrieval/src/ingest/chunk.ts';
import { cleanPages } from '../../../retrieval/src/ingest/clean.ts';
import { extractPdfText } from '../../../retrieval/src/ingest/pdf-text.ts';
import { assembleExam } from './assemble.ts';
import { gateItem } from './gates.ts';
import { OfflineGenerator } from './offline.ts';
import type { CandidateItem, CandidateSource, GenerationRequest, ItemType, SourcePassage } from './types.ts';

const passages: SourcePassage[] = [
  { bookId: 'b1', index: 0, pageStart: 10, pageEnd: 10, section: '1.1 A', text: 'Alpha is the first term of the book.\nBeta is the second term of the book.' },
  { bookId: 'b1', index: 1, pageStart: 20, pageEnd: 21, section: '1.2 B', text: 'Gamma is the third term of the book.\nDelta is the fourth term of the book.' },
];

const mc = (term: string, page: number, prompt = `Which term is the ${term} one?`): CandidateItem => {
  const quote = `${term} is the ${{ Alpha: 'first', Beta: 'second', Gamma: 'third', Delta: 'fourth' }[term]} term of the book.`;
  const options = ['Alpha', 'Beta', 'Gamma', 'Delta'];
  return {
    type: 'MULTIPLE_CHOICE',
    prompt: `${prompt} (${quote.split(' ')[2]})`,
    options,
    correctIndex: options.indexOf(term),
    modelAnswer: null,
    rubric: [],
    points: 1,
    source: { bookId: 'b1', pageStart: page, pageEnd: page === 20 ? 21 : page, quote },
    origin: quote.toLowerCase(),
  };
};
const sa = (term: string, page: number): CandidateItem => ({ ...mc(term, page), type: 'SHORT_ANSWER', prompt: `Explain ${term} in detail.`, options: [], correctIndex: null, modelAnswer: 'x', rubric: ['x'], origin: `sa ${term}` });

/** Yields fixed lists, and records what it was asked and how far it was read. */
class ListSource implements CandidateSource {
  readonly kind = 'LLM' as const;
  readonly lists: Record<ItemType, CandidateItem[]>;
  readonly read: Record<ItemType, number> = { MULTIPLE_CHOICE: 0, SHORT_ANSWER: 0 };
  readonly wants: Array<[ItemType, number]> = [];

  constructor(lists: Record<ItemType, CandidateItem[]>) {
    this.lists = lists;
  }

  async *candidates(_request: GenerationRequest, type: ItemType, want: number): AsyncIterable<CandidateItem> {
    this.wants.push([type, want]);
    for (const item of this.lists[type]) {
      this.read[type]++;
      yield item;
    }
  }
}

const request = (multipleChoice: number, shortAnswer: number): GenerationRequest => ({ passages, multipleChoice, shortAnswer, seed: 's' });

describe('assembleExam', () => {
  it('keeps candidates that pass the gates until the counts are met, and counts the rest by reason', async () => {
    const source = new ListSource({
      MULTIPLE_CHOICE: [
        mc('Gamma', 20),
        { ...mc('Beta', 10), source: { ...mc('Beta', 10).source, quote: 'Beta is a made-up quote.' } },
        mc('Gamma', 20, 'Another question on'), // same origin as the first
        mc('Alpha', 10),
        mc('Delta', 20), // not read: two are enough
      ],
      SHORT_ANSWER: [{ ...sa('Beta', 10), rubric: [] }, sa('Beta', 10)],
    });
    const progress: number[] = [];
    const exam = await assembleExam(source, request(2, 1), (f) => {
      progress.push(f);
    });
    expect(exam.made).toEqual({ multipleChoice: 2, shortAnswer: 1 });
    expect(exam.asked).toEqual({ multipleChoice: 2, shortAnswer: 1 });
    expect(exam.rejected).toEqual({ 'quote-not-verbatim': 1, 'same-origin': 1, 'answer-missing': 1 });
    expect(exam.generator).toBe('LLM');
    // Multiple choice first, each type in page order.
    expect(exam.items.map((i) => `${i.type[0]}:${i.source.quote.split(' ')[0]}`)).toEqual(['M:Alpha', 'M:Gamma', 'S:Beta']);
    expect(source.read).toEqual({ MULTIPLE_CHOICE: 4, SHORT_ANSWER: 2 });
    expect(source.wants).toEqual([['MULTIPLE_CHOICE', 2], ['SHORT_ANSWER', 1]]);
    expect(progress).toEqual([1 / 3, 2 / 3, 1]);
  });

  it('makes fewer than asked when the text runs out, without throwing', async () => {
    const source = new ListSource({ MULTIPLE_CHOICE: [mc('Alpha', 10), mc('Alpha', 10)], SHORT_ANSWER: [] });
    const progress: number[] = [];
    const exam = await assembleExam(source, request(5, 2), (f) => {
      progress.push(f);
    });
    expect(exam.made).toEqual({ multipleChoice: 1, shortAnswer: 0 });
    expect(exam.items).toHaveLength(1);
    expect(exam.rejected).toEqual({ 'same-origin': 1 });
    expect(progress.at(-1)).toBe(1);
  });

  it('gives up on a source that only proposes rejects', async () => {
    const endless: CandidateSource = {
      kind: 'LLM',
      async *candidates() {
        for (;;) yield { ...mc('Alpha', 10), prompt: '' };
      },
    };
    const exam = await assembleExam(endless, request(2, 0));
    expect(exam.made).toEqual({ multipleChoice: 0, shortAnswer: 0 });
    expect(exam.rejected['empty-prompt']).toBeGreaterThan(0);
  });

  it('asks for nothing when nothing is wanted', async () => {
    const source = new ListSource({ MULTIPLE_CHOICE: [mc('Alpha', 10)], SHORT_ANSWER: [sa('Beta', 10)] });
    const exam = await assembleExam(source, request(0, 0));
    expect(exam.items).toEqual([]);
    expect(source.wants).toEqual([]);
  });
});

describe('assembleExam with the offline generator on the Biology excerpt', () => {
  let biology: SourcePassage[] = [];
  beforeAll(async () => {
    const pdf = await extractPdfText(new Uint8Array(readFileSync(join(repoRoot, '..', 'shared', 'data', 'textbooks', 'biology-2e-excerpt.pdf'))), { maxPages: 2000, maxChars: 20_000_000 });
    biology = chunkPages(cleanPages(pdf.pages)).map((c) => ({ bookId: 'bio', index: c.index, text: c.text, pageStart: c.pageStart, pageEnd: c.pageEnd, section: c.section }));
  }, 60_000);

  const regate = (items: CandidateItem[], ps: SourcePassage[]) => items.map((item, i) => gateItem(item, { passages: ps, kept: items.slice(0, i) }));

  it('makes the exam asked for, every item passing the gates against the others', async () => {
    const exam = await assembleExam(new OfflineGenerator(), { passages: biology, multipleChoice: 20, shortAnswer: 5, seed: 'exam-1' });
    expect(exam.made).toEqual({ multipleChoice: 20, shortAnswer: 5 });
    expect(exam.generator).toBe('EXTRACTIVE');
    expect(regate(exam.items, biology).filter((r) => !r.ok)).toEqual([]);
    expect(exam.items.slice(0, 20).every((i) => i.type === 'MULTIPLE_CHOICE')).toBe(true);
    expect(exam.items.slice(20).every((i) => i.type === 'SHORT_ANSWER')).toBe(true);
  });

  it('returns what one short passage can give when far more is asked', async () => {
    const tiny = biology.filter((p) => p.text.includes('total number of protons in an atom')).slice(0, 1);
    expect(tiny).toHaveLength(1);
    const exam = await assembleExam(new OfflineGenerator(), { passages: tiny, multipleChoice: 50, shortAnswer: 10, seed: 'tiny' });
    expect(exam.made.multipleChoice).toBeGreaterThan(0);
    expect(exam.made.multipleChoice).toBeLessThan(50);
    expect(exam.made.shortAnswer).toBeLessThan(10);
    expect(exam.items).toHaveLength(exam.made.multipleChoice + exam.made.shortAnswer);
    expect(regate(exam.items, tiny).filter((r) => !r.ok)).toEqual([]);
  });

  it('returns an empty exam for no text at all', async () => {
    const exam = await assembleExam(new OfflineGenerator(), { passages: [], multipleChoice: 5, shortAnswer: 5, seed: 'none' });
    expect(exam.made).toEqual({ multipleChoice: 0, shortAnswer: 0 });
    expect(exam.items).toEqual([]);
  });
});
