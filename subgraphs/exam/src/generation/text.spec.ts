import { describe, expect, it } from '@jest/globals';
import { containsTerm, contentWords, normaliseOrigin, splitSentences } from './text.ts';

describe('text helpers', () => {
  it('cuts running text into sentences, not at abbreviations or initials', () => {
    expect(splitSentences('Matter is any substance that occupies space and has mass. Elements are unique forms of matter.')).toEqual([
      'Matter is any substance that occupies space and has mass.',
      'Elements are unique forms of matter.',
    ]);
    expect(splitSentences('Functions (e.g. len()) return values. Ex. 2 shows one. "Quoted." Done!')).toEqual(['Functions (e.g. len()) return values.', 'Ex. 2 shows one.', '"Quoted."', 'Done!']);
    expect(splitSentences('  ')).toEqual([]);
  });

  it('normalises an origin: case, Unicode, spacing and the final stop aside', () => {
    expect(normaliseOrigin('  Matter  is any\nsubstance. ')).toBe('matter is any substance');
    expect(normaliseOrigin('MATTER is any substance!')).toBe(normaliseOrigin('matter is any substance'));
  });

  it('finds terms as whole words and lightly stems content words', () => {
    expect(containsTerm('The sys module', 'sys')).toBe(true);
    expect(containsTerm('The system', 'sys')).toBe(false);
    expect(contentWords('The errors of the classes')).toEqual(['error', 'class']);
  });
});
