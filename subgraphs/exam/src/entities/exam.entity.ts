import { defineEntity, p } from '@mikro-orm/postgresql';

export const EXAM_STATUSES = ['GENERATING', 'DRAFT', 'PUBLISHED', 'FAILED'] as const;
export const GENERATORS = ['LLM', 'EXTRACTIVE'] as const;
export const QUESTION_TYPES = ['MULTIPLE_CHOICE', 'SHORT_ANSWER'] as const;
export const ITEM_REVIEWS = ['PENDING', 'APPROVED', 'REJECTED'] as const;
export const ATTEMPT_STATUSES = ['IN_PROGRESS', 'SUBMITTED', 'GRADED'] as const;

/** What the teacher asked for (the job reads it). */
export interface ExamRequest {
  bookIds: string[] | null;
  pageStart: number | null;
  pageEnd: number | null;
  multipleChoice: number;
  shortAnswer: number;
}

export interface ExamOptionData {
  id: string;
  text: string;
}

export const ExamSchema = defineEntity({
  name: 'Exam',
  tableName: 'exams',
  properties: {
    id: p.uuid().primary(),
    courseId: p.uuid(),
    title: p.string().length(200),
    /** Stored states; CLOSED is PUBLISHED past closesAt (derived when read). */
    status: p.enum(EXAM_STATUSES),
    progress: p.float(),
    error: p.text().nullable(),
    notice: p.text().nullable(),
    generator: p.enum(GENERATORS),
    request: p.json<ExamRequest>(),
    createdBy: p.uuid(),
    opensAt: p.datetime().nullable(),
    closesAt: p.datetime().nullable(),
    durationMinutes: p.integer().nullable(),
    resultsReleased: p.boolean(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export class Exam extends ExamSchema.class {}
ExamSchema.setClass(Exam);

export const ExamItemSchema = defineEntity({
  name: 'ExamItem',
  tableName: 'exam_items',
  properties: {
    id: p.uuid().primary(),
    examId: p.uuid(),
    position: p.integer(),
    type: p.enum(QUESTION_TYPES),
    prompt: p.text(),
    options: p.json<ExamOptionData[]>(),
    correctOptionId: p.uuid().nullable(),
    modelAnswer: p.text().nullable(),
    rubric: p.json<string[]>(),
    points: p.float(),
    review: p.enum(ITEM_REVIEWS),
    sourceBookId: p.uuid(),
    sourcePageStart: p.integer(),
    sourcePageEnd: p.integer(),
    sourceQuote: p.text(),
    origin: p.text(),
  },
});
export class ExamItem extends ExamItemSchema.class {}
ExamItemSchema.setClass(ExamItem);

export const AttemptSchema = defineEntity({
  name: 'Attempt',
  tableName: 'attempts',
  properties: {
    id: p.uuid().primary(),
    examId: p.uuid(),
    courseId: p.uuid(),
    studentId: p.uuid(),
    status: p.enum(ATTEMPT_STATUSES),
    startedAt: p.datetime(),
    deadline: p.datetime(),
    submittedAt: p.datetime().nullable(),
    autoSubmitted: p.boolean(),
    score: p.float().nullable(),
    maxScore: p.float(),
  },
});
export class Attempt extends AttemptSchema.class {}
AttemptSchema.setClass(Attempt);

export const AnswerSchema = defineEntity({
  name: 'Answer',
  tableName: 'answers',
  properties: {
    attemptId: p.uuid().primary(),
    itemId: p.uuid().primary(),
    optionId: p.uuid().nullable(),
    text: p.text().nullable(),
    points: p.float().nullable(),
    feedback: p.text().nullable(),
    needsReview: p.boolean(),
    savedAt: p.datetime(),
  },
});
export class Answer extends AnswerSchema.class {}
AnswerSchema.setClass(Answer);
