// The exam generator without a language model. It writes no facts of its own: every question is
// built from the book's own definitions (running text, "Key Terms" glossaries, function reference
// tables) and learning objectives, and every answer is quoted from the book.
import { itemSentences } from '../gates.ts';
import type { CandidateItem, CandidateSource, GenerationRequest, ItemType } from '../types.ts';
import { analyse } from './analysis.ts';
import { multipleChoice } from './multiple-choice.ts';
import { shortAnswers } from './short-answer.ts';
import { spread } from './spread.ts';

export class OfflineGenerator implements CandidateSource {
  readonly kind = 'EXTRACTIVE' as const;

  /**
   * The sentences of the book offered so far for each exam (the assembler asks for multiple choice,
   * then short answer, with one request object). A short answer whose rubric quotes the sentence a
   * multiple-choice item was made from asks the same question twice and would be rejected by the
   * gates; building the rubric from the sentences still free wastes no candidate on that.
   */
  private readonly offered = new WeakMap<GenerationRequest, Set<string>>();

  async *candidates(request: GenerationRequest, type: ItemType, _want: number): AsyncIterable<CandidateItem> {
    const a = analyse(request.passages);
    const ranked = type === 'MULTIPLE_CHOICE' ? multipleChoice(a, request.seed) : shortAnswers(a);
    const used = this.offered.get(request) ?? new Set<string>();
    this.offered.set(request, used);
    for (const r of spread(ranked, request.seed)) {
      const item = r.make(used);
      if (!item) continue;
      for (const s of itemSentences(item)) used.add(s);
      yield item;
    }
  }
}
