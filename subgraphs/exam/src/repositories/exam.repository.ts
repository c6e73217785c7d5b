import { randomUUID } from 'node:crypto';
import { type EntityManager, type NewEvent, Outbox } from '@ai-teacher/shared';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { Answer, Attempt, Exam, ExamItem, type ExamOptionData, type ExamRequest } from '../entities/exam.entity.ts';

/** The exam schema's outbox (events for the notification subgraph). */
export const examOutbox = new Outbox('exam');

export class AttemptExistsError extends Error {}

export interface NewItem {
  type: ExamItem['type'];
  prompt: string;
  options: ExamOptionData[];
  correctOptionId: string | null;
  modelAnswer: string | null;
  rubric: string[];
  points: number;
  sourceBookId: string;
  sourcePageStart: number;
  sourcePageEnd: number;
  sourceQuote: string;
  origin: string;
}

/** What happened to a write that depends on the attempt still running. */
export type AttemptWrite<T> = { ok: true; value: T } | { ok: false; reason: 'NOT_RUNNING' | 'DEADLINE_PASSED' };

/** Grades one attempt's answers at submission (pure: the service decides how). */
export type SubmitGrader = (items: ExamItem[], answers: Map<string, Answer>) => Map<string, { points: number | null; feedback: string | null; needsReview: boolean }>;

export class ExamRepository {
  private readonly em: EntityManager;
  constructor(em: EntityManager) {
    this.em = em;
  }

  // ---- exams -----------------------------------------------------------------------------------

  async createExam(data: { courseId: string; title: string; generator: Exam['generator']; request: ExamRequest; createdBy: string }): Promise<Exam> {
    const exam = this.em.create(Exam, {
      id: randomUUID(),
      ...data,
      status: 'GENERATING',
      progress: 0,
      error: null,
      notice: null,
      opensAt: null,
      closesAt: null,
      durationMinutes: null,
      resultsReleased: false,
    });
    await this.em.flush();
    return exam;
  }

  exam(id: string): Promise<Exam | null> {
    return this.em.findOne(Exam, { id }, { refresh: true });
  }

  exams(ids: readonly string[]): Promise<Exam[]> {
    return this.em.find(Exam, { id: { $in: [...ids] } });
  }

  examsOfCourse(courseId: string, publishedOnly: boolean): Promise<Exam[]> {
    return this.em.find(Exam, { courseId, ...(publishedOnly ? { status: 'PUBLISHED' as const } : {}) }, { orderBy: { createdAt: 'desc', id: 'asc' }, limit: 500 });
  }

  async setProgress(examId: string, progress: number): Promise<void> {
    await this.em.nativeUpdate(Exam, { id: examId, status: 'GENERATING' }, { progress });
  }

  /**
   * Stores a finished generation and its event in one transaction, only while the exam is still
   * GENERATING (a retried job replaces nothing that a teacher already sees). False if it was not.
   */
  async finishGeneration(examId: string, outcome: { items: NewItem[]; generator: Exam['generator']; notice: string | null }, event: NewEvent): Promise<boolean> {
    return this.em.transactional(async (tx) => {
      const rows = (await tx.execute(`select 1 from exam.exams where id = ? and status = 'GENERATING' for update`, [examId], 'all')) as unknown[];
      if (!rows.length) return false;
      await tx.execute(`delete from exam.exam_items where exam_id = ?`, [examId], 'run');
      const items = outcome.items.map((it, i) => ({ ...it, id: randomUUID(), position: i + 1 }));
      if (items.length) {
        await tx.execute(
          `insert into exam.exam_items (id, exam_id, position, type, prompt, options, correct_option_id, model_answer, rubric, points, review,
             source_book_id, source_page_start, source_page_end, source_quote, origin)
           select (i->>'id')::uuid, ?, (i->>'position')::int, i->>'type', i->>'prompt', i->'options', (i->>'correctOptionId')::uuid, i->>'modelAnswer',
             i->'rubric', (i->>'points')::real, 'PENDING', (i->>'sourceBookId')::uuid, (i->>'sourcePageStart')::int, (i->>'sourcePageEnd')::int, i->>'sourceQuote', i->>'origin'
           from jsonb_array_elements(?::jsonb) i`,
          [examId, JSON.stringify(items)],
          'run',
        );
      }
      await tx.execute(`update exam.exams set status = 'DRAFT', progress = 1, generator = ?, notice = ?, error = null, updated_at = now() where id = ?`, [outcome.generator, outcome.notice, examId], 'run');
      await examOutbox.add(tx, [event]);
      return true;
    });
  }

  async failGeneration(examId: string, error: string): Promise<void> {
    await this.em.nativeUpdate(Exam, { id: examId, status: 'GENERATING' }, { status: 'FAILED', error, progress: 1 });
  }

  /**
   * Publishes a DRAFT exam with its approved items only (renumbered from 1) and the event, in one
   * transaction. Null when the exam is no longer a DRAFT or has no approved item.
   */
  async publish(examId: string, window: { opensAt: Date; closesAt: Date; durationMinutes: number }, event: NewEvent): Promise<'PUBLISHED' | 'NOT_DRAFT' | 'NO_APPROVED_ITEM'> {
    return this.em.transactional(async (tx) => {
      const rows = (await tx.execute(`select status from exam.exams where id = ? for update`, [examId], 'all')) as { status: string }[];
      if (rows[0]?.status !== 'DRAFT') return 'NOT_DRAFT';
      const approved = (await tx.execute(`select id from exam.exam_items where exam_id = ? and review = 'APPROVED' order by position`, [examId], 'all')) as { id: string }[];
      if (!approved.length) return 'NO_APPROVED_ITEM';
      await tx.execute(`delete from exam.exam_items where exam_id = ? and review <> 'APPROVED'`, [examId], 'run');
      await tx.execute(
        `update exam.exam_items i set position = o.n from (select value::uuid as id, ordinality::int as n from jsonb_array_elements_text(?::jsonb) with ordinality) o where i.id = o.id`,
        [JSON.stringify(approved.map((r) => r.id))],
        'run',
      );
      await tx.execute(`update exam.exams set status = 'PUBLISHED', opens_at = ?, closes_at = ?, duration_minutes = ?, updated_at = now() where id = ?`, [window.opensAt, window.closesAt, window.durationMinutes, examId], 'run');
      await examOutbox.add(tx, [event]);
      return 'PUBLISHED';
    });
  }

  /** Releases results with one event per student, unless attempts still run or answers await review. */
  async release(examId: string, eventFor: (studentIds: string[]) => NewEvent | null): Promise<'RELEASED' | 'ALREADY' | 'RUNNING' | 'NEEDS_REVIEW'> {
    return this.em.transactional(async (tx) => {
      const rows = (await tx.execute(`select results_released from exam.exams where id = ? for update`, [examId], 'all')) as { results_released: boolean }[];
      if (rows[0]?.results_released) return 'ALREADY';
      const [counts] = (await tx.execute(
        `select count(*) filter (where a.status = 'IN_PROGRESS')::int as running,
                (select count(*)::int from exam.answers x join exam.attempts y on y.id = x.attempt_id where y.exam_id = ? and x.needs_review) as review
           from exam.attempts a where a.exam_id = ?`,
        [examId, examId],
        'all',
      )) as { running: number; review: number }[];
      if (counts && counts.running > 0) return 'RUNNING';
      if (counts && counts.review > 0) return 'NEEDS_REVIEW';
      await tx.execute(`update exam.exams set results_released = true, updated_at = now() where id = ?`, [examId], 'run');
      const students = (await tx.execute(`select student_id from exam.attempts where exam_id = ?`, [examId], 'all')) as { student_id: string }[];
      const event = eventFor(students.map((s) => s.student_id));
      if (event) await examOutbox.add(tx, [event]);
      return 'RELEASED';
    });
  }

  // ---- items -----------------------------------------------------------------------------------

  itemsOf(examIds: readonly string[]): Promise<ExamItem[]> {
    return this.em.find(ExamItem, { examId: { $in: [...examIds] } }, { orderBy: { examId: 'asc', position: 'asc' } });
  }

  item(id: string): Promise<ExamItem | null> {
    return this.em.findOne(ExamItem, { id }, { refresh: true });
  }

  /** Changes an item only while its exam is a DRAFT (the row lock keeps publishing out meanwhile). */
  async updateDraftItem(itemId: string, examId: string, changes: Partial<Pick<ExamItem, 'prompt' | 'options' | 'correctOptionId' | 'modelAnswer' | 'rubric' | 'points' | 'review'>>): Promise<ExamItem | null> {
    return this.em.transactional(async (tx) => {
      const rows = (await tx.execute(`select status from exam.exams where id = ? for update`, [examId], 'all')) as { status: string }[];
      if (rows[0]?.status !== 'DRAFT') return null;
      const item = await tx.findOneOrFail(ExamItem, { id: itemId });
      Object.assign(item, changes);
      await tx.flush();
      return item;
    });
  }

  // ---- attempts --------------------------------------------------------------------------------

  async createAttempt(data: { examId: string; courseId: string; studentId: string; startedAt: Date; deadline: Date; maxScore: number }): Promise<Attempt> {
    try {
      const attempt = this.em.create(Attempt, { id: randomUUID(), ...data, status: 'IN_PROGRESS', submittedAt: null, autoSubmitted: false, score: null });
      await this.em.flush();
      return attempt;
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) throw new AttemptExistsError();
      throw err;
    }
  }

  attempt(id: string): Promise<Attempt | null> {
    return this.em.findOne(Attempt, { id }, { refresh: true });
  }

  attemptsOf(examIds: readonly string[]): Promise<Attempt[]> {
    return this.em.find(Attempt, { examId: { $in: [...examIds] } }, { orderBy: { startedAt: 'asc', id: 'asc' } });
  }

  attemptsOfStudent(examIds: readonly string[], studentId: string): Promise<Attempt[]> {
    return this.em.find(Attempt, { examId: { $in: [...examIds] }, studentId });
  }

  /** The student's running attempt in the course (deadline not yet passed), if any. */
  runningAttempt(courseId: string, studentId: string): Promise<Attempt | null> {
    return this.em.findOne(Attempt, { courseId, studentId, status: 'IN_PROGRESS', deadline: { $gt: new Date() } }, { refresh: true });
  }

  answersOf(attemptIds: readonly string[]): Promise<Answer[]> {
    return this.em.find(Answer, { attemptId: { $in: [...attemptIds] } });
  }

  /** Every answer of the exam's submitted attempts, with each attempt's score share (for item statistics). */
  async submittedAnswers(examId: string): Promise<{ attempts: { id: string; score: number; maxScore: number }[]; answers: Answer[] }> {
    const attempts = await this.em.find(Attempt, { examId, status: { $in: ['SUBMITTED', 'GRADED'] } });
    const answers = attempts.length ? await this.answersOf(attempts.map((a) => a.id)) : [];
    return { attempts: attempts.map((a) => ({ id: a.id, score: a.score ?? 0, maxScore: a.maxScore })), answers };
  }

  /**
   * Saves one answer while the attempt runs, in one statement: the attempt's row is share-locked, so
   * a save waits for a submission in progress and then sees it (no row, nothing written). An answer
   * is therefore either saved before the submission, and graded with it, or refused; never lost.
   */
  async saveAnswer(attemptId: string, itemId: string, answer: { optionId: string | null; text: string | null }): Promise<AttemptWrite<Answer>> {
    const conn = this.em.getConnection('write');
    const rows = (await conn.execute(
      `insert into exam.answers (attempt_id, item_id, option_id, text, points, feedback, needs_review, saved_at)
       select a.id, ?, ?, ?, null, null, false, now() from exam.attempts a
        where a.id = ? and a.status = 'IN_PROGRESS' and a.deadline > now()
        for share of a
       on conflict (attempt_id, item_id) do update set option_id = excluded.option_id, text = excluded.text, saved_at = excluded.saved_at
       returning attempt_id, item_id, option_id, text, saved_at`,
      [itemId, answer.optionId, answer.text, attemptId],
      'all',
    )) as { attempt_id: string; item_id: string; option_id: string | null; text: string | null; saved_at: Date }[];
    const row = rows[0];
    if (row) {
      const saved = this.em.create(Answer, { attemptId: row.attempt_id, itemId: row.item_id, optionId: row.option_id, text: row.text, points: null, feedback: null, needsReview: false, savedAt: new Date(row.saved_at) }, { persist: false });
      return { ok: true, value: saved };
    }
    const [state] = (await conn.execute(`select status from exam.attempts where id = ?`, [attemptId], 'all')) as { status: string }[];
    return { ok: false, reason: state?.status === 'IN_PROGRESS' ? 'DEADLINE_PASSED' : 'NOT_RUNNING' };
  }

  /**
   * Submits a running attempt (the student, or the server at the deadline) and grades it in the
   * same transaction. Idempotent: an attempt already submitted is returned as it is.
   */
  async submit(attemptId: string, auto: boolean, grade: SubmitGrader): Promise<{ attempt: Attempt; submittedNow: boolean } | null> {
    return this.em.transactional(async (tx) => {
      const rows = (await tx.execute(`select status from exam.attempts where id = ? for update`, [attemptId], 'all')) as { status: string }[];
      if (!rows[0]) return null;
      const attempt = await tx.findOneOrFail(Attempt, { id: attemptId }, { refresh: true });
      if (rows[0].status !== 'IN_PROGRESS') return { attempt, submittedNow: false };
      const items = await tx.find(ExamItem, { examId: attempt.examId }, { orderBy: { position: 'asc' } });
      const answers = new Map((await tx.find(Answer, { attemptId })).map((a) => [a.itemId, a]));
      const grades = grade(items, answers);
      const now = new Date();
      for (const item of items) {
        const g = grades.get(item.id) ?? { points: 0, feedback: null, needsReview: false };
        const existing = answers.get(item.id);
        if (existing) Object.assign(existing, g);
        else tx.create(Answer, { attemptId, itemId: item.id, optionId: null, text: null, ...g, savedAt: now });
      }
      attempt.status = [...grades.values()].some((g) => g.needsReview) ? 'SUBMITTED' : 'GRADED';
      attempt.submittedAt = now < attempt.deadline ? now : attempt.deadline;
      attempt.autoSubmitted = auto;
      attempt.score = sum([...grades.values()].map((g) => g.points ?? 0));
      await tx.flush();
      return { attempt, submittedNow: true };
    });
  }

  /** Sets an answer's points (a teacher's grade, or the model's) and re-totals the attempt. */
  async gradeAnswer(attemptId: string, itemId: string, grade: { points: number; feedback: string | null; needsReview: boolean }): Promise<AttemptWrite<Answer>> {
    return this.em.transactional(async (tx) => {
      const rows = (await tx.execute(`select status from exam.attempts where id = ? for update`, [attemptId], 'all')) as { status: string }[];
      if (!rows[0] || rows[0].status === 'IN_PROGRESS') return { ok: false, reason: 'NOT_RUNNING' };
      const answer = await tx.upsert(Answer, { attemptId, itemId, ...grade, savedAt: new Date() }, { onConflictAction: 'merge', onConflictMergeFields: ['points', 'feedback', 'needsReview'] });
      const all = await tx.find(Answer, { attemptId }, { refresh: true });
      const attempt = await tx.findOneOrFail(Attempt, { id: attemptId }, { refresh: true });
      attempt.score = sum(all.map((a) => a.points ?? 0));
      attempt.status = all.some((a) => a.needsReview) ? 'SUBMITTED' : 'GRADED';
      await tx.flush();
      return { ok: true, value: answer };
    });
  }
}

const sum = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b, 0) * 100) / 100;
