import type { CourseScopeIds } from '@ai-teacher/academic/contracts';
import type { Passage } from '../contracts.ts';
import type { ChunkRepository } from '../repositories/chunk.repository.ts';
import type { RetrievalRuntime } from '../runtime.ts';
import { reciprocalRankFusion } from './fusion.ts';
import { queryTerms } from './query-terms.ts';

export type { Passage };

/** How many candidates each ranking contributes before fusion. */
const CANDIDATES = 50;

/**
 * The hybrid search within a trusted course scope (the caller has checked access): BM25 over the
 * course's passages and vector search, fused by reciprocal rank.
 */
export async function searchPassages(runtime: RetrievalRuntime, chunks: ChunkRepository, scope: CourseScopeIds, query: string, limit: number): Promise<Passage[]> {
  const [vector] = await runtime.embedder.embed([query]);
  const [text, dense] = await Promise.all([chunks.fullText(scope.courseId, queryTerms(query), CANDIDATES), runtime.vectors.search(scope, vector!, CANDIDATES)]);
  const fused = reciprocalRankFusion([text.map((h) => h.id), dense.map((h) => h.id)]).slice(0, limit * 3);
  const rows = new Map((await chunks.byIds(fused.map((f) => f.id), scope.courseId)).map((r) => [r.id, r]));
  // Vectors of a replaced file may outlive its passages for a moment: only live passages count.
  return fused
    .filter((f) => rows.has(f.id))
    .slice(0, limit)
    .map((f) => {
      const r = rows.get(f.id)!;
      return { text: r.text, score: f.score, book: { id: r.bookId }, pageStart: r.pageStart, pageEnd: r.pageEnd, section: r.section };
    });
}
