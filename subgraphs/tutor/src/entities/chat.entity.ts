import { defineEntity, p } from '@mikro-orm/postgresql';

export const TUTOR_MODES = ['EXPLAIN', 'SOCRATIC', 'QUIZ_ME'] as const;
export const MESSAGE_ROLES = ['USER', 'TUTOR'] as const;
export const MESSAGE_STATUSES = ['STREAMING', 'COMPLETE', 'FAILED'] as const;
export type TutorMode = (typeof TUTOR_MODES)[number];
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export interface StoredCitation {
  bookId: string;
  pageStart: number;
  pageEnd: number;
  quote: string;
}

/** A structured answer as stored (citations point at books by id). */
export interface StoredAnswer {
  summary: string;
  explanation: string;
  steps: string[];
  example: string | null;
  checkQuestions: string[];
  citations: StoredCitation[];
  generator: 'LLM' | 'EXTRACTIVE';
  cached: boolean;
  grounded: boolean;
}

export const ChatSessionSchema = defineEntity({
  name: 'ChatSession',
  tableName: 'chat_sessions',
  properties: {
    id: p.uuid().primary(),
    userId: p.uuid(),
    courseId: p.uuid(),
    title: p.text(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export class ChatSession extends ChatSessionSchema.class {}
ChatSessionSchema.setClass(ChatSession);

export const ChatMessageSchema = defineEntity({
  name: 'ChatMessage',
  tableName: 'chat_messages',
  properties: {
    id: p.uuid().primary(),
    sessionId: p.uuid(),
    role: p.enum(MESSAGE_ROLES),
    mode: p.enum(TUTOR_MODES).nullable(),
    content: p.text(),
    status: p.enum(MESSAGE_STATUSES),
    answer: p.json<StoredAnswer>().nullable(),
    error: p.text().nullable(),
    /** Sequence number of the final stream event (deltas are 1…lastSeq-1). */
    lastSeq: p.integer().default(0),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export class ChatMessage extends ChatMessageSchema.class {}
ChatMessageSchema.setClass(ChatMessage);
