// Puts an exam together from a generator's candidates: each candidate passes the gates against the
// items already kept, or is counted under its rejection reason and replaced by the next one. When
// the text runs out the exam is shorter than asked; that is reported in `made`, not thrown.
import { gateItem } from './gates.ts';
import type { CandidateItem, CandidateSource, GeneratedExam, GenerationRequest, ItemType } from './types.ts';

/**
 * Candidates looked at per item still wanted before a type is given up on: a generator that keeps
 * proposing rejects (an LLM repeating itself) must not hold the job forever.
 */
const MAX_TRIES_PER_ITEM = 25;

/**
 * Multiple choice first, then short answer; within each type in the book's order (book as first
 * met in the passages, then page), so the exam follows the course rather than the order the
 * candidates happened to pass the gates in.
 */
export async function assembleExam(
  source: CandidateSource,
  request: GenerationRequest,
  onProgress?: (fraction: number) => Promise<void> | void,
): Promise<GeneratedExam> {
  const asked = { multipleChoice: Math.max(0, Math.floor(request.multipleChoice)), shortAnswer: Math.max(0, Math.floor(request.shortAnswer)) };
  const total = asked.multipleChoice + asked.shortAnswer;
  const kept: CandidateItem[] = [];
  const rejected: Record<string, number> = {};
  const made = { multipleChoice: 0, shortAnswer: 0 };

  const fill = async (type: ItemType, want: number) => {
    let got = 0;
    let tries = 0;
    if (want <= 0) return 0;
    for await (const candidate of source.candidates(request, type, want)) {
      tries++;
      const verdict = candidate.type !== type ? { ok: false as const, reason: 'wrong-type' } : gateItem(candidate, { passages: request.passages, kept });
      if (verdict.ok) {
        kept.push(candidate);
        got++;
        await onProgress?.(kept.length / total);
        if (got >= want) break;
      } else {
        rejected[verdict.reason] = (rejected[verdict.reason] ?? 0) + 1;
      }
      if (tries >= want * MAX_TRIES_PER_ITEM) break;
    }
    return got;
  };

  made.multipleChoice = await fill('MULTIPLE_CHOICE', asked.multipleChoice);
  made.shortAnswer = await fill('SHORT_ANSWER', asked.shortAnswer);
  if (total > 0 && kept.length < total) await onProgress?.(1);

  const bookOrder = new Map<string, number>();
  for (const p of request.passages) if (!bookOrder.has(p.bookId)) bookOrder.set(p.bookId, bookOrder.size);
  const typeOrder = (i: CandidateItem) => (i.type === 'MULTIPLE_CHOICE' ? 0 : 1);
  const items = kept
    .map((item, i) => ({ item, i }))
    .sort(
      (a, b) =>
        typeOrder(a.item) - typeOrder(b.item) ||
        (bookOrder.get(a.item.source.bookId) ?? 0) - (bookOrder.get(b.item.source.bookId) ?? 0) ||
        a.item.source.pageStart - b.item.source.pageStart ||
        a.i - b.i,
    )
    .map((x) => x.item);
  return { generator: source.kind, items, asked, made, rejected };
}
