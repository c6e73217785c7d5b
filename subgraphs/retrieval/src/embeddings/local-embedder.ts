import type { Embedder } from './embedder.ts';

// The offline embedder: no model, no download. It hashes features of the text into a fixed-size
// vector (the "hashing trick"): word unigrams and bigrams (exact terms, short phrases) and
// character 4-grams inside words (shared stems and morphology: "loop", "loops", "looping"), each
// with a sign from a second hash, weighted 1 + log(tf), L2-normalised. Cosine similarity is then a
// soft lexical match that complements Postgres full-text ranking, which needs exact lexemes. It is
// deterministic, so vectors can be cached and compared across processes.

const STOP = new Set(
  'a an and are as at be but by can do does for from has have how i if in into is it its may more most not of on or our so such than that the their them then there these they this to was we were what when where which while who why will with would you your'.split(' '),
);

/** Word features count most, phrases next, sub-word grams least (there are many of them). */
const WEIGHT = { w: 1, b: 0.7, c: 0.25 };

function tokens(text: string): string[] {
  return (text.toLowerCase().normalize('NFKC').match(/[a-z0-9_]+(?:'[a-z]+)?/g) ?? []).filter((t) => !STOP.has(t) && t.length > 1);
}

// FNV-1a, 32 bit.
function hash(s: string, seed: number): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class LocalHashingEmbedder implements Embedder {
  readonly model: string;
  readonly dimensions: number;

  constructor(dimensions = 4096) {
    this.dimensions = dimensions;
    this.model = `local-hash-v1-${dimensions}`;
  }

  embedOne(text: string): number[] {
    const counts = new Map<string, number>();
    const add = (feature: string) => counts.set(feature, (counts.get(feature) ?? 0) + 1);
    const toks = tokens(text);
    toks.forEach((t, i) => {
      add(`w:${t}`);
      if (i > 0) add(`b:${toks[i - 1]}_${t}`);
      const padded = `<${t}>`;
      if (padded.length > 5) for (let j = 0; j + 4 <= padded.length; j++) add(`c:${padded.slice(j, j + 4)}`);
    });
    const v = new Float64Array(this.dimensions);
    for (const [feature, tf] of counts) {
      const h = hash(feature, 0);
      const sign = hash(feature, 0x9e3779b9) & 1 ? 1 : -1;
      v[h % this.dimensions]! += sign * WEIGHT[feature[0] as 'w' | 'b' | 'c'] * (1 + Math.log(tf));
    }
    let norm = 0;
    for (const x of v) norm += x * x;
    norm = Math.sqrt(norm) || 1;
    return Array.from(v, (x) => x / norm);
  }

  async embed(texts: string[]): Promise<number[][]> {
    return texts.map((t) => this.embedOne(t));
  }
}
