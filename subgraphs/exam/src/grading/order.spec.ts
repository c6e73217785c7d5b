import { describe, expect, it } from '@jest/globals';
import { shuffled } from './order.ts';

const items = Array.from({ length: 10 }, (_, i) => `item-${i}`);

describe('shuffled', () => {
  it('gives the same order for the same seed, and keeps every item exactly once', () => {
    const a = shuffled(items, 'attempt-1:item-7');
    expect(shuffled(items, 'attempt-1:item-7')).toEqual(a);
    expect([...a].sort()).toEqual([...items].sort());
    expect(a).not.toEqual(items);
  });

  it('gives different orders for different seeds', () => {
    const orders = new Set(Array.from({ length: 50 }, (_, i) => shuffled(items, `attempt-${i}`).join(',')));
    // 10! orders: 50 seeds colliding at all would be a bug, not bad luck.
    expect(orders.size).toBe(50);
  });

  it('does not change its input', () => {
    const input = Object.freeze([1, 2, 3, 4]);
    shuffled(input, 'seed');
    expect(input).toEqual([1, 2, 3, 4]);
  });

  it('handles empty and one-item lists', () => {
    expect(shuffled([], 's')).toEqual([]);
    expect(shuffled(['only'], 's')).toEqual(['only']);
  });

  it('is close to uniform (every option lands first about equally often)', () => {
    const options = ['a', 'b', 'c', 'd'];
    const first: Record<string, number> = { a: 0, b: 0, c: 0, d: 0 };
    const seeds = 4_000;
    for (let i = 0; i < seeds; i++) first[shuffled(options, `s${i}`)[0]!]! += 1;
    // Expected 1000 each; the standard deviation is about 27, so ±150 is over 5 sigma.
    for (const count of Object.values(first)) expect(Math.abs(count - seeds / 4)).toBeLessThan(150);
  });
});
