import { randomUUID } from 'node:crypto';
import type { CourseAccess, CourseScopeClient } from '@ai-teacher/academic/contracts';
import {
  AppError,
  BadUserInputError,
  ConflictError,
  ForbiddenError,
  type Identity,
  type NewEvent,
  NotFoundError,
  type OutboxRelay,
  parseInput,
  type Producer,
  type Redis,
  UnauthenticatedError,
} from '@ai-teacher/shared';
import type { RetrievalClient } from '@ai-teacher/retrieval/contracts';
import DataLoader from 'dataloader';
import type { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { ExamConfig } from '../config.ts';
import { invalidateExamLock, type GenerateExamPayload, type GradeAttemptPayload, type SubmitAttemptPayload } from '../contracts.ts';
import { type Answer, type Attempt, type Exam, type ExamItem, ITEM_REVIEWS } from '../entities/exam.entity.ts';
import { shuffled } from '../grading/order.ts';
import { itemStats } from '../grading/stats.ts';
import { AttemptExistsError, type ExamRepository } from '../repositories/exam.repository.ts';
import { submitAttempt } from './submission.ts';
import { type AnswerView, type AttemptView, examStatus, type ExamView, type ItemView } from './views.ts';

const id = z.uuid({ message: 'must be a valid id' });
const count = z.number().int('must be a whole number').min(0, 'must be 0 to 50').max(50, 'must be 0 to 50');
const text = (max: number) =>
  z
    .string()
    .transform((s) => s.trim())
    .pipe(z.string().min(1, 'must not be blank').max(max, `must be at most ${max} characters`));

const generateInput = z.object({
  courseId: id,
  title: text(200),
  bookIds: z.array(id).min(1, 'must name at least one book').max(50, 'must name at most 50 books').nullish(),
  pageStart: z.number().int().min(1, 'must be 1 or more').nullish(),
  pageEnd: z.number().int().min(1, 'must be 1 or more').nullish(),
  multipleChoice: count.nullish(),
  shortAnswer: count.nullish(),
});

const itemInput = z.object({
  prompt: text(2_000).nullish(),
  options: z.array(text(500)).min(2, 'must have 2 to 6 options').max(6, 'must have 2 to 6 options').nullish(),
  correctOption: z.number().int().min(0, 'must be an index into options').nullish(),
  modelAnswer: text(5_000).nullish(),
  rubric: z.array(text(1_000)).min(1, 'must have 1 to 10 points').max(10, 'must have 1 to 10 points').nullish(),
  points: z.number().min(0.5, 'must be 0.5 to 100').max(100, 'must be 0.5 to 100').nullish(),
});

export interface ExamServiceDeps {
  identity: Identity | null;
  config: ExamConfig;
  exams: ExamRepository;
  scope: CourseScopeClient;
  retrieval: RetrievalClient;
  redis: Redis;
  generations: Producer<GenerateExamPayload>;
  submissions: Producer<SubmitAttemptPayload>;
  /** Set when a model grades short answers. */
  gradings: Producer<GradeAttemptPayload> | null;
  generator: Exam['generator'];
  /** The items of published exams, by exam id (see `itemsFor`). */
  publishedItems: LRUCache<string, ExamItem[]>;
  relay: OutboxRelay;
  logger: Logger;
  requestId: string;
}

/** Exams of a course: authoring and review (TEACHER/ADMIN), attempts (enrolled STUDENTs), grading and results. */
export class ExamService {
  private readonly d: ExamServiceDeps;
  private readonly items: DataLoader<string, ExamItem[]>;
  private readonly answers: DataLoader<string, Answer[]>;
  private readonly stats: DataLoader<string, Map<string, ReturnType<typeof itemStats>>>;
  private readonly myAttempts: DataLoader<string, Attempt | null>;
  constructor(deps: ExamServiceDeps) {
    this.d = deps;
    this.items = new DataLoader(async (examIds) => {
      const rows = await this.d.exams.itemsOf(examIds);
      return examIds.map((e) => rows.filter((r) => r.examId === e));
    });
    this.answers = new DataLoader(async (attemptIds) => {
      const rows = await this.d.exams.answersOf(attemptIds);
      return attemptIds.map((a) => rows.filter((r) => r.attemptId === a));
    });
    this.myAttempts = new DataLoader(async (examIds) => {
      const rows = await this.d.exams.attemptsOfStudent(examIds, this.user().userId);
      return examIds.map((e) => rows.find((r) => r.examId === e) ?? null);
    });
    this.stats = new DataLoader(async (examIds) => Promise.all(examIds.map((e) => this.computeStats(e))), { batch: false });
  }

  private user(): Identity {
    if (!this.d.identity) throw new UnauthenticatedError();
    return this.d.identity;
  }

  private async access(courseId: string): Promise<CourseAccess> {
    const access = await this.d.scope.access(this.user(), courseId);
    if (!access) throw new NotFoundError('No course with this id');
    return access;
  }

  private async teach(courseId: string): Promise<void> {
    const access = await this.access(courseId);
    if (!access.canTeach) throw new ForbiddenError('Only the course\'s teachers or an admin can do this');
  }

  /** The exam as the caller may see it: teachers everything; enrolled students published exams only. */
  private async view(examId: string, field = 'examId'): Promise<ExamView> {
    const exam = await this.d.exams.exam(parseInput(id, examId, field));
    if (!exam) throw new NotFoundError('No exam with this id');
    const access = await this.access(exam.courseId);
    if (access.canTeach) return { exam, teacher: true, viewerId: this.user().userId };
    if (!access.canRead) throw new ForbiddenError('This exam belongs to a course you are not enrolled in');
    if (exam.status !== 'PUBLISHED') throw new NotFoundError('No exam with this id');
    return { exam, teacher: false, viewerId: this.user().userId };
  }

  private async teacherView(examId: string, field = 'examId'): Promise<ExamView> {
    const v = await this.view(examId, field);
    if (!v.teacher) throw new ForbiddenError('Only the course\'s teachers or an admin can do this');
    return v;
  }

  /** A published exam's items never change again: they are kept in memory, shared by requests. */
  private async itemsFor(exam: Exam): Promise<ExamItem[]> {
    if (exam.status !== 'PUBLISHED') return this.items.load(exam.id);
    const cached = this.d.publishedItems.get(exam.id);
    if (cached) return cached;
    const items = await this.items.load(exam.id);
    this.d.publishedItems.set(exam.id, items);
    return items;
  }

  private kick(): void {
    this.d.relay.kick();
  }

  // ---- reading ---------------------------------------------------------------------------------

  exam(rawId: unknown): Promise<ExamView> {
    return this.view(rawId as string, 'id');
  }

  async examsOfCourse(courseId: string): Promise<ExamView[]> {
    const access = await this.access(courseId);
    if (!access.canRead) throw new ForbiddenError('You are not enrolled in or teaching this course');
    const exams = await this.d.exams.examsOfCourse(courseId, !access.canTeach);
    return exams.map((exam) => ({ exam, teacher: access.canTeach, viewerId: this.user().userId }));
  }

  /** Teachers: every item in order. Students: their attempt's order, only once they have started (or results are out). */
  async itemsOf(v: ExamView): Promise<ItemView[]> {
    const items = await this.itemsFor(v.exam);
    if (v.teacher) return items.map((item) => ({ item, teacher: true, position: item.position, options: item.options }));
    const attempt = await this.myAttempts.load(v.exam.id);
    if (!attempt) return [];
    return studentOrder(items, attempt.id);
  }

  async myAttempt(v: ExamView): Promise<AttemptView | null> {
    if (v.teacher && this.user().role !== 'STUDENT') return null;
    const attempt = await this.myAttempts.load(v.exam.id);
    return attempt ? { attempt, exam: v.exam, teacher: false } : null;
  }

  async attemptsOf(v: ExamView): Promise<AttemptView[]> {
    if (!v.teacher) return [];
    return (await this.d.exams.attemptsOf([v.exam.id])).map((attempt) => ({ attempt, exam: v.exam, teacher: true }));
  }

  /** The student's own attempt, or any attempt for the course's teachers. */
  async attempt(rawId: unknown, field = 'attemptId'): Promise<AttemptView> {
    const attempt = await this.d.exams.attempt(parseInput(id, rawId, field));
    if (!attempt) throw new NotFoundError('No exam attempt with this id');
    const v = await this.view(attempt.examId);
    if (v.teacher) return { attempt, exam: v.exam, teacher: true };
    if (attempt.studentId !== this.user().userId) throw new ForbiddenError('This attempt belongs to another student');
    return { attempt, exam: v.exam, teacher: false };
  }

  async answersOf(a: AttemptView): Promise<AnswerView[]> {
    const [answers, items] = await Promise.all([this.answers.load(a.attempt.id), this.itemsFor(a.exam)]);
    const views = a.teacher ? items.map((item) => ({ item, teacher: true, position: item.position, options: item.options })) : studentOrder(items, a.attempt.id);
    const byItem = new Map(answers.map((x) => [x.itemId, x]));
    const showGrades = a.teacher || a.exam.resultsReleased;
    return views.flatMap((item) => {
      const answer = byItem.get(item.item.id);
      return answer ? [{ answer, item, showGrades }] : [];
    });
  }

  scoreOf(a: AttemptView): number | null {
    return a.teacher || a.exam.resultsReleased ? (a.attempt.score ?? null) : null;
  }

  async statsOf(v: ItemView) {
    if (!v.teacher) return null;
    return (await this.stats.load(v.item.examId)).get(v.item.id) ?? null;
  }

  private async computeStats(examId: string): Promise<Map<string, ReturnType<typeof itemStats>>> {
    const [items, { attempts, answers }] = await Promise.all([this.items.load(examId), this.d.exams.submittedAnswers(examId)]);
    const total = new Map(attempts.map((a) => [a.id, a.maxScore > 0 ? a.score / a.maxScore : 0]));
    const out = new Map<string, ReturnType<typeof itemStats>>();
    for (const item of items) {
      const mine = answers.filter((x) => x.itemId === item.id);
      const responses = mine.map((x) => ({
        attemptId: x.attemptId,
        itemCorrect: item.points > 0 ? (x.points ?? 0) / item.points : 0,
        optionIndex: x.optionId ? item.options.findIndex((o) => o.id === x.optionId) : null,
        total: total.get(x.attemptId) ?? 0,
        itemPoints: item.points,
        maxScore: attempts.find((a) => a.id === x.attemptId)?.maxScore ?? 0,
      }));
      out.set(item.id, itemStats(responses, item.type === 'MULTIPLE_CHOICE' ? item.options.length : 0));
    }
    return out;
  }

  // ---- authoring -------------------------------------------------------------------------------

  async generate(raw: unknown): Promise<ExamView> {
    const user = this.user();
    const input = parseInput(generateInput, raw, 'input');
    await this.teach(input.courseId);
    const multipleChoice = input.multipleChoice ?? 10;
    const shortAnswer = input.shortAnswer ?? 0;
    if (multipleChoice + shortAnswer < 1) throw new BadUserInputError('input.multipleChoice: ask for 1 to 50 items in all', 'input.multipleChoice');
    if (multipleChoice + shortAnswer > 50) throw new BadUserInputError('input.shortAnswer: ask for 1 to 50 items in all', 'input.shortAnswer');
    const books = await this.d.retrieval.courseBooks(input.courseId);
    const ready = books.filter((b) => b.status === 'READY');
    const bookIds = input.bookIds ? [...new Set(input.bookIds)] : null;
    if (bookIds) {
      const missing = bookIds.find((b) => !ready.some((r) => r.bookId === b));
      if (missing) throw new BadUserInputError(`input.bookIds: ${missing} is not a book of this course with READY text`, 'input.bookIds');
    } else if (!ready.length) {
      throw new BadUserInputError('input.courseId: the course has no book with READY text to make an exam from', 'input.courseId');
    }
    const chosen = bookIds ? ready.filter((b) => bookIds.includes(b.bookId)) : ready;
    const pages = Math.max(...chosen.map((b) => b.pageCount ?? 0));
    const pageStart = input.pageStart ?? null;
    const pageEnd = input.pageEnd ?? null;
    if (pageStart !== null && pageStart > pages) throw new BadUserInputError(`input.pageStart: the chosen books have ${pages} pages`, 'input.pageStart');
    if (pageEnd !== null && pageEnd > pages) throw new BadUserInputError(`input.pageEnd: the chosen books have ${pages} pages`, 'input.pageEnd');
    if (pageStart !== null && pageEnd !== null && pageEnd < pageStart) throw new BadUserInputError('input.pageEnd: must not be before pageStart', 'input.pageEnd');

    const exam = await this.d.exams.createExam({
      courseId: input.courseId,
      title: input.title,
      generator: this.d.generator,
      request: { bookIds, pageStart, pageEnd, multipleChoice, shortAnswer },
      createdBy: user.userId,
    });
    await this.d.generations.add({ examId: exam.id, requestId: this.d.requestId });
    return { exam, teacher: true, viewerId: user.userId };
  }

  private async draftItem(rawItemId: unknown): Promise<{ item: ExamItem; v: ExamView }> {
    const item = await this.d.exams.item(parseInput(id, rawItemId, 'itemId'));
    if (!item) throw new NotFoundError('No exam item with this id');
    const v = await this.teacherView(item.examId);
    if (v.exam.status !== 'DRAFT') throw new ConflictError('Only items of a DRAFT exam can be changed');
    return { item, v };
  }

  async updateItem(rawItemId: unknown, raw: unknown): Promise<ItemView> {
    const { item } = await this.draftItem(rawItemId);
    const input = parseInput(itemInput, raw ?? {}, 'input');
    const changes: Parameters<ExamRepository['updateDraftItem']>[2] = {};
    if (input.prompt != null) changes.prompt = input.prompt;
    if (input.points != null) changes.points = input.points;
    if (item.type === 'MULTIPLE_CHOICE') {
      if (input.modelAnswer != null || input.rubric != null) throw new BadUserInputError('input.rubric: a multiple-choice item has options, not a model answer or rubric', 'input.rubric');
      if (input.options != null) {
        if (new Set(input.options.map((o) => o.toLowerCase())).size !== input.options.length) throw new BadUserInputError('input.options: options must be distinct', 'input.options');
        if (input.correctOption == null) throw new BadUserInputError('input.correctOption: required with new options', 'input.correctOption');
        // Options keep their ids where the text is unchanged, so saved statistics stay meaningful.
        changes.options = input.options.map((t, i) => ({ id: item.options[i]?.text === t ? item.options[i]!.id : randomUUID(), text: t }));
      }
      if (input.correctOption != null) {
        const options = changes.options ?? item.options;
        if (input.correctOption >= options.length) throw new BadUserInputError(`input.correctOption: must be 0 to ${options.length - 1}`, 'input.correctOption');
        changes.correctOptionId = options[input.correctOption]!.id;
      }
    } else {
      if (input.options != null || input.correctOption != null) throw new BadUserInputError('input.options: a short-answer item has no options', 'input.options');
      if (input.modelAnswer != null) changes.modelAnswer = input.modelAnswer;
      if (input.rubric != null) changes.rubric = input.rubric;
    }
    const updated = await this.d.exams.updateDraftItem(item.id, item.examId, changes);
    if (!updated) throw new ConflictError('Only items of a DRAFT exam can be changed');
    return { item: updated, teacher: true, position: updated.position, options: updated.options };
  }

  async reviewItem(rawItemId: unknown, rawReview: unknown): Promise<ItemView> {
    const review = parseInput(z.enum(ITEM_REVIEWS), rawReview, 'review');
    const { item } = await this.draftItem(rawItemId);
    const updated = await this.d.exams.updateDraftItem(item.id, item.examId, { review });
    if (!updated) throw new ConflictError('Only items of a DRAFT exam can be changed');
    return { item: updated, teacher: true, position: updated.position, options: updated.options };
  }

  async publish(rawExamId: unknown, rawOpens: unknown, rawCloses: unknown, rawDuration: unknown): Promise<ExamView> {
    const v = await this.teacherView(rawExamId as string);
    const opensAt = parseInput(z.date({ message: 'must be a date-time' }), rawOpens, 'opensAt');
    const closesAt = parseInput(z.date({ message: 'must be a date-time' }), rawCloses, 'closesAt');
    const max = this.d.config.EXAM_DURATION_MAX_MINUTES;
    const durationMinutes = parseInput(z.number().int('must be whole minutes').min(1, 'must be at least 1 minute').max(max, `must be at most ${max} minutes`), rawDuration, 'durationMinutes');
    const now = Date.now();
    if (opensAt.getTime() < now - 60_000) throw new BadUserInputError('opensAt: must not be in the past', 'opensAt');
    if (closesAt <= opensAt) throw new BadUserInputError('closesAt: must be after opensAt', 'closesAt');
    if (closesAt.getTime() - opensAt.getTime() > this.d.config.EXAM_WINDOW_MAX_DAYS * 86_400_000) throw new BadUserInputError(`closesAt: the window may be at most ${this.d.config.EXAM_WINDOW_MAX_DAYS} days`, 'closesAt');
    if (durationMinutes * 60_000 > closesAt.getTime() - opensAt.getTime()) throw new BadUserInputError('durationMinutes: must fit between opensAt and closesAt', 'durationMinutes');
    if (v.exam.status !== 'DRAFT') throw new ConflictError(`Only a DRAFT exam can be published (this one is ${examStatus(v.exam)})`);
    const outcome = await this.d.exams.publish(v.exam.id, { opensAt, closesAt, durationMinutes }, {
      kind: 'EXAM_PUBLISHED',
      courseId: v.exam.courseId,
      title: `New exam: ${v.exam.title}`,
      body: `Opens ${opensAt.toISOString()}, closes ${closesAt.toISOString()}. Once you start you have ${durationMinutes} minutes.`,
      audience: { courseStudents: true },
      data: { examId: v.exam.id },
    });
    if (outcome === 'NOT_DRAFT') throw new ConflictError('Only a DRAFT exam can be published');
    if (outcome === 'NO_APPROVED_ITEM') throw new ConflictError('Approve at least one item before publishing');
    this.kick();
    return { ...v, exam: (await this.d.exams.exam(v.exam.id))! };
  }

  async release(rawExamId: unknown): Promise<ExamView> {
    const v = await this.teacherView(rawExamId as string);
    if (v.exam.status !== 'PUBLISHED') throw new ConflictError('Only a published exam has results to release');
    const outcome = await this.d.exams.release(v.exam.id, (students) =>
      students.length
        ? { kind: 'EXAM_RESULTS', courseId: v.exam.courseId, title: `Results: ${v.exam.title}`, body: 'Your exam results are available.', audience: { userIds: students }, data: { examId: v.exam.id } }
        : null,
    );
    if (outcome === 'RUNNING') throw new ConflictError('Students are still taking this exam; release results after their attempts end');
    if (outcome === 'NEEDS_REVIEW') throw new ConflictError('Some short answers still need review (gradeExamAnswer) before results can be released');
    this.kick();
    return { ...v, exam: (await this.d.exams.exam(v.exam.id))! };
  }

  async grade(rawAttemptId: unknown, rawItemId: unknown, rawPoints: unknown, rawFeedback: unknown): Promise<AnswerView> {
    const a = await this.attempt(rawAttemptId);
    if (!a.teacher) throw new ForbiddenError('Only the course\'s teachers or an admin can grade');
    const itemId = parseInput(id, rawItemId, 'itemId');
    const item = (await this.itemsFor(a.exam)).find((i) => i.id === itemId);
    if (!item) throw new BadUserInputError('itemId: not an item of this exam', 'itemId');
    const points = parseInput(z.number().min(0, `must be 0 to ${item.points}`).max(item.points, `must be 0 to ${item.points}`), rawPoints, 'points');
    const feedback = rawFeedback == null ? null : parseInput(text(2_000), rawFeedback, 'feedback');
    if (a.attempt.status === 'IN_PROGRESS') throw new ConflictError('The attempt is still in progress');
    const saved = await this.d.exams.gradeAnswer(a.attempt.id, itemId, { points, feedback, needsReview: false });
    if (!saved.ok) throw new ConflictError('The attempt is still in progress');
    return { answer: saved.value, item: { item, teacher: true, position: item.position, options: item.options }, showGrades: true };
  }

  // ---- attempts --------------------------------------------------------------------------------

  async start(rawExamId: unknown): Promise<AttemptView> {
    const user = this.user();
    const v = await this.view(rawExamId as string);
    if (user.role !== 'STUDENT') throw new ForbiddenError('Only students take exams');
    if (v.teacher) throw new ForbiddenError('Only students take exams');
    const { exam } = v;
    const now = new Date();
    if (!exam.opensAt || now < exam.opensAt) throw new ConflictError(`The exam opens at ${exam.opensAt?.toISOString() ?? 'a time not yet set'}`);
    if (!exam.closesAt || now >= exam.closesAt) throw new ConflictError('The exam has closed');
    const items = await this.itemsFor(exam);
    const deadline = new Date(Math.min(now.getTime() + exam.durationMinutes! * 60_000, exam.closesAt.getTime()));
    let attempt: Attempt;
    try {
      attempt = await this.d.exams.createAttempt({ examId: exam.id, courseId: exam.courseId, studentId: user.userId, startedAt: now, deadline, maxScore: items.reduce((s, i) => s + i.points, 0) });
    } catch (err) {
      if (err instanceof AttemptExistsError) throw new ConflictError('You have already attempted this exam');
      throw err;
    }
    await invalidateExamLock(this.d.redis, exam.courseId, user.userId);
    await this.d.submissions.add({ attemptId: attempt.id, requestId: this.d.requestId }, { delay: Math.max(0, deadline.getTime() - Date.now()) });
    this.myAttempts.clear(exam.id).prime(exam.id, attempt);
    return { attempt, exam, teacher: false };
  }

  private async ownRunning(rawAttemptId: unknown): Promise<AttemptView> {
    const a = await this.attempt(rawAttemptId);
    if (a.attempt.studentId !== this.user().userId) throw new ForbiddenError('This attempt belongs to another student');
    return a;
  }

  async save(rawAttemptId: unknown, rawItemId: unknown, rawOptionId: unknown, rawText: unknown): Promise<AnswerView> {
    const a = await this.ownRunning(rawAttemptId);
    const itemId = parseInput(id, rawItemId, 'itemId');
    const items = await this.itemsFor(a.exam);
    const item = items.find((i) => i.id === itemId);
    if (!item) throw new BadUserInputError('itemId: not an item of this exam', 'itemId');
    let optionId: string | null = null;
    let answerText: string | null = null;
    if (item.type === 'MULTIPLE_CHOICE') {
      if (rawText != null) throw new BadUserInputError('text: a multiple-choice item is answered with optionId', 'text');
      if (rawOptionId != null) {
        optionId = parseInput(id, rawOptionId, 'optionId');
        if (!item.options.some((o) => o.id === optionId)) throw new BadUserInputError('optionId: not an option of this item', 'optionId');
      }
    } else {
      if (rawOptionId != null) throw new BadUserInputError('optionId: a short-answer item is answered with text', 'optionId');
      const max = this.d.config.EXAM_ANSWER_MAX_CHARS;
      if (rawText != null) answerText = parseInput(z.string().max(max, `must be at most ${max} characters`), rawText, 'text');
    }
    if (a.attempt.status !== 'IN_PROGRESS') throw new ConflictError('This attempt has been submitted; answers can no longer change');
    const saved = await this.d.exams.saveAnswer(a.attempt.id, item.id, { optionId, text: answerText });
    if (!saved.ok) {
      if (saved.reason === 'DEADLINE_PASSED') throw new AppError('CONFLICT', 'The deadline has passed; answers can no longer change', { reason: 'DEADLINE_PASSED' });
      throw new ConflictError('This attempt has been submitted; answers can no longer change');
    }
    return { answer: saved.value, item: studentItem(items, a.attempt.id, item), showGrades: false };
  }

  async submit(rawAttemptId: unknown): Promise<AttemptView> {
    const a = await this.ownRunning(rawAttemptId);
    const attempt = await submitAttempt(this.d.exams, a.attempt.id, false, { redis: this.d.redis, gradings: this.d.gradings, requestId: this.d.requestId });
    return { ...a, attempt: attempt ?? a.attempt };
  }
}

/** A student's view of the items: the attempt's own item order and option order, the same on every reload. */
function studentOrder(items: ExamItem[], attemptId: string): ItemView[] {
  return shuffled(items, attemptId).map((item, i) => studentView(item, attemptId, i + 1));
}

/** One item as `studentOrder` shows it. */
function studentItem(items: ExamItem[], attemptId: string, item: ExamItem): ItemView {
  return studentView(item, attemptId, shuffled(items, attemptId).indexOf(item) + 1);
}

function studentView(item: ExamItem, attemptId: string, position: number): ItemView {
  return { item, teacher: false, position, options: item.type === 'MULTIPLE_CHOICE' ? shuffled(item.options, `${attemptId}:${item.id}`) : [] };
}

/** The event a finished generation sends to the course's teachers. */
export function readyForReviewEvent(exam: Exam, made: number): NewEvent {
  return {
    kind: 'EXAM_READY_FOR_REVIEW',
    courseId: exam.courseId,
    title: `Exam ready for review: ${exam.title}`,
    body: `${made} item${made === 1 ? '' : 's'} were generated from the course books. Review and approve them, then publish the exam.`,
    audience: { userIds: [exam.createdBy], courseTeachers: true },
    data: { examId: exam.id },
  };
}
