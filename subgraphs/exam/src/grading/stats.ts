// Classical item statistics over an exam's submitted attempts, so a teacher can spot items that
// are too easy, too hard, or that mislead the students who know the material best.

/** One submitted attempt's result on one item. */
export interface Response {
  attemptId: string;
  /** Share of the item's points the attempt earned, 0..1 (an unanswered item is 0). */
  itemCorrect: number;
  /** The option chosen (multiple choice), 0-based in the item's stored order; null when none or short answer. */
  optionIndex: number | null;
  /** The attempt's total score as a share of its maximum, 0..1, this item included. */
  total: number;
  /** The item's points and the attempt's maximum score: this item's weight in `total`. */
  itemPoints: number;
  maxScore: number;
}

export interface ItemStats {
  /** Submitted attempts counted (answered or not). */
  responses: number;
  /** Mean share of the item's points earned ("p-value": higher is easier); null with no responses. */
  difficulty: number | null;
  /** Item–rest point-biserial correlation, −1..1; null with fewer than 2 responses or no variance. */
  discrimination: number | null;
  /** How many attempts chose each option (multiple choice); [] for short answers. */
  optionCounts: number[];
  /** True when discrimination is negative: stronger students do worse on it; a teacher should look. */
  flagged: boolean;
}

// Below this, a correlation is rounding noise around 0, not a sign to flag.
const EPSILON = 1e-9;

/**
 * Statistics of one item over the submitted attempts (`optionCount`: the item's options, 0 for a
 * short answer).
 *
 * Discrimination uses the rest score, rest = total − itemCorrect × itemPoints / maxScore: the
 * attempt's score on every *other* item. Correlating with the total instead would correlate the
 * item partly with itself and inflate the value (markedly so on short exams), hiding weak items.
 *
 * discrimination = Pearson correlation of (itemCorrect, rest) over the responses. For an item scored
 * 0/1 this is exactly the point-biserial r = (M₁ − M₀) / sₙ × √(p·q), M₁/M₀ the mean rest of those
 * right/wrong, sₙ the population standard deviation of rest, p the share right and q = 1 − p; for a
 * partially credited short answer it is the same formula on the shares (the item–rest correlation).
 */
export function itemStats(responses: Response[], optionCount: number): ItemStats {
  const optionCounts = new Array<number>(optionCount).fill(0);
  for (const r of responses) {
    if (r.optionIndex !== null && r.optionIndex >= 0 && r.optionIndex < optionCount) optionCounts[r.optionIndex]! += 1;
  }
  const n = responses.length;
  if (n === 0) return { responses: 0, difficulty: null, discrimination: null, optionCounts, flagged: false };

  const x = responses.map((r) => r.itemCorrect);
  const y = responses.map((r) => r.total - (r.maxScore > 0 ? (r.itemCorrect * r.itemPoints) / r.maxScore : 0));
  const mean = (v: number[]) => v.reduce((s, a) => s + a, 0) / v.length;
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  // Everyone scoring the same (on the item or on the rest) says nothing about discrimination.
  const discrimination = n < 2 || sxx < EPSILON || syy < EPSILON ? null : clamp(sxy / Math.sqrt(sxx * syy));
  return { responses: n, difficulty: mx, discrimination, optionCounts, flagged: discrimination !== null && discrimination < -EPSILON };
}

// Floating-point error can push a perfect correlation just past ±1.
function clamp(r: number): number {
  return Math.max(-1, Math.min(1, r));
}
