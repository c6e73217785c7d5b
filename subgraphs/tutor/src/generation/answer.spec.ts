import { describe, expect, it } from '@jest/globals';
import { coverage, parseModelAnswer, renderAnswer } from './answer.ts';
import type { GroundingPassage } from './grounding.ts';
import { paragraphs, streamPieces } from './text.ts';

const passage = (text: string, n: number): GroundingPassage => ({ text, bookId: `book-${n}`, pageStart: n, pageEnd: n + 1, section: '5.1 While loop', score: 1 });
const passages = [
  passage('A while loop repeats its body as long as its condition is true.\nWhen the condition becomes false, the loop ends.', 10),
  passage('An infinite loop never ends because its condition\nnever becomes false.', 12),
];

describe('parseModelAnswer', () => {
  it('reads the headings, keeps verbatim quotes (across line breaks) and drops [n] markers', () => {
    const a = parseModelAnswer(
      ['## Summary', 'A while loop repeats while a condition holds [1].', '## Explanation', 'It checks first [1].', '## Steps', '1. Check.', '2. Run the body.', '## Example', 'while x < 3:', '    x += 1', '## Check questions', '- When does it stop?', '## Sources', '[2] "its condition never becomes false"'].join('\n'),
      passages,
    );
    expect(a).toMatchObject({ summary: 'A while loop repeats while a condition holds.', explanation: 'It checks first.', steps: ['Check.', 'Run the body.'], example: 'while x < 3:\n    x += 1', checkQuestions: ['When does it stop?'], generator: 'LLM', grounded: true });
    expect(a.citations).toEqual([{ bookId: 'book-12', pageStart: 12, pageEnd: 13, quote: 'its condition never becomes false' }]);
  });

  it('replaces an invented quote with the closest sentence of the cited passage, and ignores passages that do not exist', () => {
    const a = parseModelAnswer('## Summary\nLoops.\n## Sources\n[1] "loops end when the condition is false, always"\n[7] "nothing"', passages);
    expect(a.citations).toEqual([{ bookId: 'book-10', pageStart: 10, pageEnd: 11, quote: 'When the condition becomes false, the loop ends.' }]);
  });

  it('cites the passages named in the text when there is no Sources section', () => {
    expect(parseModelAnswer('It repeats [2].', passages).citations.map((c) => c.bookId)).toEqual(['book-12']);
  });

  it('turns NOT IN MATERIAL into the honest answer', () => {
    expect(parseModelAnswer('NOT IN MATERIAL', passages)).toMatchObject({ grounded: false, citations: [], summary: 'This is not in your course material.' });
  });
});

describe('coverage', () => {
  it('needs most of the question’s words in one passage; code in the question does not count', () => {
    expect(coverage('When does a while loop end?', passages).covered).toBe(true);
    expect(coverage('Who painted the Mona Lisa?', passages).covered).toBe(false);
    expect(coverage('Why does this loop never end?\nwhile n_items > 0:\n    n_items += 1', passages).covered).toBe(true);
    expect(coverage('anything', []).covered).toBe(false);
  });
});

describe('text helpers', () => {
  it('undoes PDF line wrapping but keeps separate lines separate', () => {
    expect(paragraphs('An infinite loop never ends because its condition\nnever becomes false.\nTable 5.1')).toEqual(['An infinite loop never ends because its condition never becomes false.', 'Table 5.1']);
  });

  it('streams text in pieces that add up to it exactly', () => {
    const text = 'Line one.\n\n  Two  spaces here.';
    expect(streamPieces(text, 2).join('')).toBe(text);
  });

  it('renders what streams to the client', () => {
    const text = renderAnswer({ summary: 'S.', explanation: 'E.', steps: ['a'], example: null, checkQuestions: ['q?'], citations: [{ bookId: 'b', pageStart: 3, pageEnd: 3, quote: 'x' }], generator: 'EXTRACTIVE', cached: false, grounded: true }, 'EXPLAIN');
    expect(text).toBe('S.\n\nE.\n\nSteps:\n1. a\n\nCheck your understanding:\n- q?\n\nSources:\n- p. 3: “x”');
  });
});
