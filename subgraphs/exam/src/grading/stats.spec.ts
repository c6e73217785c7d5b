import { describe, expect, it } from '@jest/globals';
import { itemStats, type Response } from './stats.ts';

/**
 * Responses from (item share correct, rest score, option) rows on an exam of 10 points where the
 * item is worth `itemShare` of them: total = rest + item × itemShare.
 */
function responses(rows: [number, number, number | null][], itemShare: number): Response[] {
  return rows.map(([item, rest, option], i) => ({ attemptId: `a${i}`, itemCorrect: item, optionIndex: option, total: rest + item * itemShare, itemPoints: 10 * itemShare, maxScore: 10 }));
}

describe('itemStats', () => {
  it('matches a worked point-biserial example on the rest score', () => {
    // Five students, item worth 0.1 of the exam. Rest scores 0.9, 0.7, 0.5 for the three right,
    // 0.6, 0.3 for the two wrong. M₁ = 0.7, M₀ = 0.45; mean rest 0.6, population variance
    // (0.09 + 0.01 + 0.01 + 0 + 0.09) / 5 = 0.04, sₙ = 0.2; p = 0.6, q = 0.4.
    // r = (0.7 − 0.45) / 0.2 × √(0.6 × 0.4) = 1.25 × √0.24 = √0.375 ≈ 0.6124.
    const rows: [number, number, number][] = [
      [1, 0.9, 0],
      [1, 0.7, 0],
      [1, 0.5, 0],
      [0, 0.6, 2],
      [0, 0.3, 1],
    ];
    const stats = itemStats(responses(rows, 0.1), 4);
    expect(stats.responses).toBe(5);
    expect(stats.difficulty).toBeCloseTo(0.6, 12);
    expect(stats.discrimination).toBeCloseTo(Math.sqrt(0.375), 12);
    expect(stats.optionCounts).toEqual([3, 1, 1, 0]);
    expect(stats.flagged).toBe(false);
  });

  it('uses the rest score, not the total, so the item is not correlated with itself', () => {
    // Same rest scores, but the item is half the exam: against the total it would look far better.
    const rows: [number, number, number][] = [
      [1, 0.45, 0],
      [1, 0.35, 0],
      [1, 0.25, 0],
      [0, 0.3, 2],
      [0, 0.15, 1],
    ];
    const stats = itemStats(responses(rows, 0.5), 4);
    expect(stats.discrimination).toBeCloseTo(Math.sqrt(0.375), 12);
    // Telling it the item weighs nothing makes it correlate with the total.
    const selfCorrelated = itemStats(responses(rows, 0.5).map((r) => ({ ...r, itemPoints: 0 })), 4);
    expect(selfCorrelated.discrimination!).toBeGreaterThan(0.9);
  });

  it('flags an item that weak students get right and strong students get wrong', () => {
    const rows: [number, number, number][] = [
      [0, 0.9, 1],
      [0, 0.8, 1],
      [1, 0.3, 0],
      [1, 0.2, 0],
    ];
    const stats = itemStats(responses(rows, 0.25), 3);
    // M₁ = 0.25 (right), M₀ = 0.85 (wrong); mean rest 0.55, variance (0.35² + 0.25² + 0.25² + 0.35²) / 4
    // = 0.0925; p = q = 0.5. r = (0.25 − 0.85) / √0.0925 × 0.5 = −0.3 / √0.0925 ≈ −0.9864.
    expect(stats.discrimination).toBeCloseTo(-0.3 / Math.sqrt(0.0925), 12);
    expect(stats.flagged).toBe(true);
    expect(stats.difficulty).toBe(0.5);
    expect(stats.optionCounts).toEqual([2, 2, 0]);
  });

  it('treats partial credit on short answers as item scores, with no option counts', () => {
    const stats = itemStats(
      responses(
        [
          [1, 0.8, null],
          [0.5, 0.5, null],
          [0, 0.2, null],
        ],
        0.2,
      ),
      0,
    );
    // Item and rest scores are exactly linear here: r = 1.
    expect(stats).toEqual({ responses: 3, difficulty: 0.5, discrimination: 1, optionCounts: [], flagged: false });
  });

  it('has no discrimination with fewer than two responses or no variance', () => {
    expect(itemStats([], 4)).toEqual({ responses: 0, difficulty: null, discrimination: null, optionCounts: [0, 0, 0, 0], flagged: false });
    expect(itemStats(responses([[1, 0.5, 0]], 0.1), 4)).toMatchObject({ responses: 1, difficulty: 1, discrimination: null, flagged: false });
    // Everyone right: the item says nothing about who is stronger.
    expect(itemStats(responses([[1, 0.5, 0], [1, 0.9, 0]], 0.1), 4)).toMatchObject({ difficulty: 1, discrimination: null });
    // Everyone with the same rest score.
    expect(itemStats(responses([[1, 0.5, 0], [0, 0.5, 1]], 0.1), 4)).toMatchObject({ difficulty: 0.5, discrimination: null });
  });

  it('counts unanswered items as responses but not as an option', () => {
    const stats = itemStats(responses([[1, 0.7, 0], [0, 0.3, null], [0, 0.4, 7]], 0.1), 2);
    expect(stats.responses).toBe(3);
    expect(stats.optionCounts).toEqual([1, 0]);
  });
});
