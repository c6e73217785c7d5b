// The generate-exam job: the course text from retrieval, candidates from the configured generator,
// the gates, then the items and the teachers' event stored together.
import { randomUUID } from 'node:crypto';
import { type OutboxRelay, UnrecoverableError } from '@ai-teacher/shared';
import type { RetrievalClient } from '@ai-teacher/retrieval/contracts';
import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import type { GenerateExamPayload } from '../contracts.ts';
import type { ExamRepository, NewItem } from '../repositories/exam.repository.ts';
import { readyForReviewEvent } from '../services/exam.service.ts';
import { assembleExam } from './assemble.ts';
import type { CandidateItem, CandidateSource, GeneratedExam } from './types.ts';

export interface GenerationDeps {
  exams: ExamRepository;
  retrieval: RetrievalClient;
  source: CandidateSource;
  relay: OutboxRelay;
  logger: Logger;
}

export async function generateExam(job: Job<GenerateExamPayload>, deps: GenerationDeps): Promise<{ made: number }> {
  const { examId } = job.data;
  const exam = await deps.exams.exam(examId);
  if (!exam || exam.status !== 'GENERATING') return { made: 0 }; // done by an earlier run, or deleted
  try {
    const { request } = exam;
    const found = await deps.retrieval.coursePassages({
      courseId: exam.courseId,
      ...(request.bookIds ? { bookIds: request.bookIds } : {}),
      ...(request.pageStart ? { pageStart: request.pageStart } : {}),
      ...(request.pageEnd ? { pageEnd: request.pageEnd } : {}),
    });
    const { truncated } = found;
    const passages = insideRange(found.passages, request.pageStart, request.pageEnd);
    if (!passages.length) throw new UnrecoverableError('The chosen books have no text on the chosen pages');
    await deps.exams.setProgress(examId, 0.1);
    let lastReported = 0;
    const generated = await assembleExam(deps.source, { passages, multipleChoice: request.multipleChoice, shortAnswer: request.shortAnswer, seed: examId }, async (fraction) => {
      // A progress write per item would be one UPDATE each; a tenth at a time is plenty to watch.
      const progress = 0.1 + 0.85 * fraction;
      if (progress - lastReported >= 0.1) {
        lastReported = progress;
        await deps.exams.setProgress(examId, Math.min(0.95, progress));
      }
    });
    const made = generated.items.length;
    if (!made) throw new UnrecoverableError('No item could be made from the chosen pages: they hold no definitions, key terms, learning objectives or summaries');
    const stored = await deps.exams.finishGeneration(examId, { items: generated.items.map(toNewItem), generator: generated.generator, notice: shortfallNotice(generated, truncated) }, readyForReviewEvent(exam, made));
    if (stored) deps.relay.kick();
    deps.logger.info({ examId, made, rejected: generated.rejected, generator: generated.generator }, 'exam generated');
    return { made };
  } catch (err) {
    const final = err instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (final) await deps.exams.failGeneration(examId, err instanceof UnrecoverableError ? err.message : 'Generation failed; try again later');
    throw err;
  }
}

/**
 * Passages wholly inside the asked pages. Passages begin at headings, so one that starts before the
 * range (or ends after it) carries the previous (or next) chapter's text: a chapter's exam would
 * otherwise quote the last page of the chapter before it. Only when nothing lies wholly inside (a
 * range within one passage) are the overlapping passages used.
 */
export function insideRange<P extends { pageStart: number; pageEnd: number }>(passages: P[], pageStart: number | null, pageEnd: number | null): P[] {
  if (pageStart === null && pageEnd === null) return passages;
  const inside = passages.filter((p) => (pageStart === null || p.pageStart >= pageStart) && (pageEnd === null || p.pageEnd <= pageEnd));
  return inside.length ? inside : passages;
}

function toNewItem(c: CandidateItem): NewItem {
  const options = c.options.map((text) => ({ id: randomUUID(), text }));
  return {
    type: c.type,
    prompt: c.prompt,
    options,
    correctOptionId: c.correctIndex === null ? null : options[c.correctIndex]!.id,
    modelAnswer: c.modelAnswer,
    rubric: c.rubric,
    points: c.points,
    sourceBookId: c.source.bookId,
    sourcePageStart: c.source.pageStart,
    sourcePageEnd: c.source.pageEnd,
    sourceQuote: c.source.quote,
    origin: c.origin,
  };
}

/** Says how many items could be made when fewer than asked. */
export function shortfallNotice(g: GeneratedExam, truncated: boolean): string | null {
  const parts: string[] = [];
  const { multipleChoice: askedMc, shortAnswer: askedSa } = g.asked;
  if (g.made.multipleChoice < askedMc) parts.push(`${g.made.multipleChoice} of ${askedMc} multiple-choice items`);
  if (g.made.shortAnswer < askedSa) parts.push(`${g.made.shortAnswer} of ${askedSa} short-answer items`);
  const notes: string[] = [];
  if (parts.length) notes.push(`Made ${parts.join(' and ')}: the chosen pages give no more that pass the quality checks. Choose more pages or books for more.`);
  if (truncated) notes.push('The chosen books are very long; only their first passages were used.');
  return notes.length ? notes.join(' ') : null;
}
