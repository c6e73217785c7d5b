/**
 * Reciprocal rank fusion (Cormack et al., 2009): each ranking adds 1 / (k + rank). Robust to the
 * rankings' incomparable score scales, which is why full-text and vector results are fused this way.
 */
export function reciprocalRankFusion(rankings: string[][], k = 60): { id: string; score: number }[] {
  const scores = new Map<string, number>();
  for (const ranking of rankings) ranking.forEach((id, rank) => scores.set(id, (scores.get(id) ?? 0) + 1 / (k + rank + 1)));
  return [...scores].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
}
