// Short-answer items on small passages written like the books': rubric points about the question,
// each able to stand alone, none taken from a sentence another item of the exam is made from.
import { describe, expect, it } from '@jest/globals';
import { assembleExam } from '../assemble.ts';
import { itemSentences } from '../gates.ts';
import type { CandidateItem, SourcePassage } from '../types.ts';
import { OfflineGenerator } from './index.ts';
import { aboutWords, related, topicWords } from './objectives.ts';
import { wordsNeeded } from './short-answer.ts';

const passage = (index: number, section: string, lines: string[]): SourcePassage => ({ bookId: 'b', index, text: lines.join('\n'), pageStart: 4 + index, pageEnd: 4 + index, section });

const atoms = passage(1, '2.1 Atoms, Isotopes, Ions, and Molecules: The Building Blocks', [
  'Learning Objectives',
  'By the end of this section, you will be able to do the following:',
  'Define matter and elements',
  'Explain the ways in which naturally occurring elements combine to create molecules, cells, tissues, organ systems, and organisms',
  'Matter is any substance that occupies space and has mass.',
  'Elements are unique forms of matter with specific chemical and physical properties that cannot break down into smaller substances.',
  'An element is a pure form of matter that the periodic table lists with its symbol.',
  "Since an element's isotopes have slightly different mass numbers, scientists also determine the atomic mass of naturally occurring isotopes.",
  'Some elements, like carbon, potassium, and uranium, have naturally occurring isotopes.',
  'All of the 98 elements that occur naturally have unique qualities that allow them to combine in various ways to create molecules, which in turn combine to form cells, tissues, organ systems, and organisms.',
  'Living things are made of molecules that combine into cells, and cells into tissues and organisms.',
  'TThe most common isotope of hydrogen is the only exception and combines into molecules, cells and tissues of organisms.',
  'Scientists call these combinations of elements molecules, cells, tissues, organ systems and organisms.',
  'You should also be able to name the elements that combine to create the molecules, cells and tissues of organisms.',
]);

const summary = passage(2, '8.7 Chapter summary', [
  'A string is a sequence of values that represents Unicode code points.',
  'A string can be indexed to get any one of its characters by position.',
  'If no separator string is provided, blank space characters are used as delimiters.',
  'An index refers to the position of a value in a sequence (string, list, tuple).',
]);

async function shortAnswers(passages: SourcePassage[]): Promise<CandidateItem[]> {
  const out: CandidateItem[] = [];
  for await (const c of new OfflineGenerator().candidates({ passages, multipleChoice: 0, shortAnswer: 10, seed: 'sa' }, 'SHORT_ANSWER', 10)) out.push(c);
  return out;
}

describe('short-answer rubrics', () => {
  it('needs enough of the objective’s words in each point: all of one or two, else two and 30 %', () => {
    expect([1, 2, 3, 4, 6, 7, 11].map(wordsNeeded)).toEqual([1, 2, 2, 2, 2, 3, 4]);
  });

  it('answers an objective with sentences about it, not with ones that share a word or two', async () => {
    const combine = (await shortAnswers([atoms])).find((i) => i.prompt.startsWith('Explain the ways in which naturally occurring elements combine'));
    expect(combine?.rubric).toEqual([
      'All of the 98 elements that occur naturally have unique qualities that allow them to combine in various ways to create molecules, which in turn combine to form cells, tissues, organ systems, and organisms.',
      'Living things are made of molecules that combine into cells, and cells into tissues and organisms.',
    ]);
    const about = aboutWords('Explain the ways in which naturally occurring elements combine to create molecules, cells, tissues, organ systems, and organisms');
    for (const point of combine!.rubric) {
      const words = topicWords(point);
      expect(about.filter((w) => words.some((x) => x === w || related(w, x))).length).toBeGreaterThanOrEqual(wordsNeeded(about.length));
    }
  });

  it('leaves out damaged text, sentences that lean on another and instructions to the reader', async () => {
    const points = (await shortAnswers([atoms])).flatMap((i) => i.rubric);
    expect(points.length).toBeGreaterThan(0);
    expect(points.filter((p) => /^TThe|^Scientists call these|^You should/.test(p))).toEqual([]);
  });

  it('asks "What is …?" from a summary with points that have the term as their subject', async () => {
    const string = (await shortAnswers([summary])).find((i) => i.prompt === 'What is a string?');
    expect(string?.rubric).toEqual(['A string is a sequence of values that represents Unicode code points.', 'A string can be indexed to get any one of its characters by position.']);
  });
});

describe('short answers beside multiple-choice items', () => {
  it('builds the rubric from sentences no multiple-choice item of the exam was made from', async () => {
    const exam = await assembleExam(new OfflineGenerator(), { passages: [atoms], multipleChoice: 2, shortAnswer: 2, seed: 'exam' });
    expect(exam.rejected['same-sentence'] ?? 0).toBe(0);
    const mc = exam.items.filter((i) => i.type === 'MULTIPLE_CHOICE');
    const sa = exam.items.filter((i) => i.type === 'SHORT_ANSWER');
    expect(mc.map((i) => i.source.quote)).toContain('Matter is any substance that occupies space and has mass.');
    expect(sa.length).toBeGreaterThan(0);
    const asked = new Set(mc.flatMap((i) => [...itemSentences(i)]));
    for (const item of sa) expect([...itemSentences(item)].filter((s) => asked.has(s))).toEqual([]);
  });
});
