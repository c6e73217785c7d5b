import { describe, expect, it } from '@jest/globals';
import { insideRange } from './run.ts';

const p = (pageStart: number, pageEnd: number) => ({ pageStart, pageEnd });

describe('insideRange', () => {
  it("drops passages that begin before the asked pages or run past them (the neighbouring chapters' text)", () => {
    expect(insideRange([p(57, 58), p(58, 60), p(60, 71), p(71, 72)], 58, 71)).toEqual([p(58, 60), p(60, 71)]);
  });

  it('keeps everything when no range is asked, and the overlapping passages when none lies wholly inside', () => {
    const all = [p(1, 3), p(3, 5)];
    expect(insideRange(all, null, null)).toBe(all);
    expect(insideRange([p(19, 22), p(22, 26)], 20, 24)).toEqual([p(19, 22), p(22, 26)]);
    expect(insideRange([p(10, 12), p(12, 15)], 12, null)).toEqual([p(12, 15)]);
  });
});
