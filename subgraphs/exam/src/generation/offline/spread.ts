// The order candidates are offered in: best first, but spread over the chapters and sections.
import type { CandidateItem } from '../types.ts';
import type { Unit } from './book.ts';
import { jitter, random } from './seeded.ts';

/** A candidate in the making, with what orders it. */
export interface Ranked {
  /** What the item is made from (its origin): breaks ties between equal scores. */
  key: string;
  /**
   * Builds the item from sentences of the book not in `used` (sentences already offered for the
   * exam, normalised as origins are); null when it cannot be made without them.
   */
  make(used: Set<string>): CandidateItem | null;
  unit: Unit;
  book: number;
  position: number;
  score: number;
  tier: number;
}

const GOLDEN = 0.6180339887498949;

/**
 * Best first, but spread: chapters take turns, and within a chapter its sections take turns, each
 * giving its best remaining candidate. Turns follow a golden-ratio sequence from a seeded start,
 * so any prefix (a 10-item exam from a 15-chapter book) is spread across the whole book rather
 * than taken from its first chapters.
 */
export function spread(all: Ranked[], seed: string): Ranked[] {
  const tiers = [...new Set(all.map((r) => r.tier))].sort((x, y) => x - y);
  return tiers.flatMap((tier) => spreadTier(all.filter((r) => r.tier === tier), seed));
}

function spreadTier(list: Ranked[], seed: string): Ranked[] {
  const offset = random(`${seed}\u0000spread`)();
  const golden = <T>(xs: T[]) =>
    xs
      .map((x, i) => ({ x, k: (offset + i * GOLDEN) % 1 }))
      .sort((p, q) => p.k - q.k)
      .map((p) => p.x);
  const chapters = new Map<string, Map<Unit, Ranked[]>>();
  for (const r of [...list].sort((p, q) => p.book - q.book || p.position - q.position)) {
    const units = chapters.get(r.unit.chapter) ?? new Map<Unit, Ranked[]>();
    units.set(r.unit, [...(units.get(r.unit) ?? []), r]);
    chapters.set(r.unit.chapter, units);
  }
  const rank = (r: Ranked) => r.score + 0.4 * jitter(seed, r.key);
  const queues = golden([...chapters.values()]).map((units) => {
    const lists = golden([...units.values()]).map((rs) => [...rs].sort((p, q) => rank(q) - rank(p)));
    const out: Ranked[] = [];
    for (let round = 0; out.length < lists.reduce((n, l) => n + l.length, 0); round++) for (const l of lists) if (l[round]) out.push(l[round]!);
    return out;
  });
  const out: Ranked[] = [];
  const total = queues.reduce((n, q) => n + q.length, 0);
  for (let round = 0; out.length < total; round++) for (const q of queues) if (q[round]) out.push(q[round]!);
  return out;
}
