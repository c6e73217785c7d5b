// The shapes exam generation works with: the course text it is grounded in, the items it proposes,
// and what a generator (LLM or offline, rule-based) must offer.

/** One passage of a course book, in reading order (from retrieval's stored passages). */
export interface SourcePassage {
  bookId: string;
  /** 0-based position of the passage in its book. */
  index: number;
  text: string;
  pageStart: number;
  pageEnd: number;
  /** The section heading the passage belongs to, e.g. "2.4 Floating-point errors"; null before the first. */
  section: string | null;
}

export type ItemType = 'MULTIPLE_CHOICE' | 'SHORT_ANSWER';

export interface ItemSource {
  bookId: string;
  pageStart: number;
  pageEnd: number;
  /** Verbatim from the book (whitespace may differ: the gates compare with whitespace collapsed). */
  quote: string;
}

/** An item a generator proposes; the gates decide whether it is kept. */
export interface CandidateItem {
  type: ItemType;
  prompt: string;
  /** Multiple choice: the option texts (2–6). Short answer: empty. */
  options: string[];
  /** Multiple choice: index into `options` of the one correct option. Short answer: null. */
  correctIndex: number | null;
  /** Short answer: the model answer (quoted from the text offline). */
  modelAnswer: string | null;
  /** Short answer: the points a full answer covers (quoted from the text offline). */
  rubric: string[];
  points: number;
  source: ItemSource;
  /**
   * What the item was made from, normalised (e.g. the source sentence, lower-cased, whitespace
   * collapsed): no two kept items may share one.
   */
  origin: string;
}

export interface GenerationRequest {
  passages: SourcePassage[];
  multipleChoice: number;
  shortAnswer: number;
  /** Makes the offline generator's choices repeatable for one exam. */
  seed: string;
}

export type GeneratorKind = 'LLM' | 'EXTRACTIVE';

/** A generator proposes candidates (more than asked, if it can); the assembler gates and picks. */
export interface CandidateSource {
  readonly kind: GeneratorKind;
  /**
   * Candidates of the given type, best first. `want` is how many are still needed: a source may
   * yield more (rejected ones are replaced from what follows) and stops when it has nothing more.
   */
  candidates(request: GenerationRequest, type: ItemType, want: number): AsyncIterable<CandidateItem>;
}

export interface GeneratedExam {
  generator: GeneratorKind;
  items: CandidateItem[];
  /** How many of each type were asked for and made (made < asked when the text could not give more). */
  asked: { multipleChoice: number; shortAnswer: number };
  made: { multipleChoice: number; shortAnswer: number };
  /** Candidates rejected, by gate reason (for logs and the evaluation). */
  rejected: Record<string, number>;
}
