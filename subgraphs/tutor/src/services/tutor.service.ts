import { randomUUID } from 'node:crypto';
import type { CourseScopeClient } from '@ai-teacher/academic/contracts';
import type { ExamLockClient } from '@ai-teacher/exam/contracts';
import {
  AppError,
  failSpan,
  ForbiddenError,
  type Identity,
  linkFromMetadata,
  NotFoundError,
  parseInput,
  SERVICE_ATTRIBUTE,
  SpanKind,
  startSpan,
  tracingEnabled,
  UnauthenticatedError,
} from '@ai-teacher/shared';
import DataLoader from 'dataloader';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { TutorConfig } from '../config.ts';
import { type ChatSession, TUTOR_MODES, type TutorMode } from '../entities/chat.entity.ts';
import type { TutorEngine } from '../generation/engine.ts';
import type { AnswerFinisher } from '../generation/finisher.ts';
import type { GenerationSlots } from '../generation/slots.ts';
import type { AnswerStreams, StreamEvent } from '../generation/stream.ts';
import { type MessageView, viewOf } from '../generation/view.ts';
import type { ChatRepository } from '../repositories/chat.repository.ts';

const id = z.uuid({ message: 'must be a valid id' });
const titleInput = z
  .string()
  .transform((s) => s.trim())
  .pipe(z.string().min(1, 'must not be blank').max(200, 'must be at most 200 characters'));
const modeInput = z.enum(TUTOR_MODES);
const afterSeqInput = z.number().int().min(0, 'must be 0 or more');

export interface TutorServiceDeps {
  identity: Identity | null;
  config: TutorConfig;
  chats: ChatRepository;
  scope: CourseScopeClient;
  /** Whether a student is sitting an exam in the course (the exam subgraph's answer, cached). */
  examLock: ExamLockClient;
  engine: TutorEngine;
  streams: AnswerStreams;
  slots: GenerationSlots;
  finisher: AnswerFinisher;
  logger: Logger;
}

/** A subscriber with no event for this long re-reads the stored events. */
const QUIET_CHECK_MS = 15_000;
/** A STREAMING answer with no event for this long was abandoned by a crashed process. */
const STALE_MS = 3 * 60_000;

export class TutorService {
  private readonly d: TutorServiceDeps;
  /** Messages of many sessions in one query (myChatSessions { messages }). */
  private readonly messages: DataLoader<string, MessageView[]>;
  constructor(deps: TutorServiceDeps) {
    this.d = deps;
    this.messages = new DataLoader(async (sessionIds) => {
      const rows = await this.d.chats.messagesOf(sessionIds);
      return sessionIds.map((id) => rows.filter((m) => m.sessionId === id).map(viewOf));
    });
  }

  private user(): Identity {
    if (!this.d.identity) throw new UnauthenticatedError();
    return this.d.identity;
  }

  /** The session, for its owner or ADMIN. */
  private async ownSession(rawId: unknown, field: string): Promise<ChatSession> {
    const user = this.user();
    const sessionId = parseInput(id, rawId, field);
    const session = await this.d.chats.session(sessionId);
    if (!session) throw new NotFoundError('No chat session with this id');
    if (session.userId !== user.userId && user.role !== 'ADMIN') throw new ForbiddenError('This chat session belongs to someone else');
    return session;
  }

  async startSession(rawCourseId: unknown, rawTitle: unknown): Promise<ChatSession> {
    const user = this.user();
    const courseId = parseInput(id, rawCourseId, 'courseId');
    const title = rawTitle == null ? 'New chat' : parseInput(titleInput, rawTitle, 'title');
    const access = await this.d.scope.access(user, courseId);
    if (!access) throw new NotFoundError('No course with this id');
    if (!access.canRead) throw new ForbiddenError('You are not enrolled in or teaching this course');
    return this.d.chats.createSession(user.userId, courseId, title);
  }

  async session(rawId: unknown): Promise<ChatSession | null> {
    try {
      return await this.ownSession(rawId, 'id');
    } catch (err) {
      if (err instanceof NotFoundError) return null;
      throw err;
    }
  }

  async mySessions(rawCourseId: unknown): Promise<ChatSession[]> {
    const user = this.user();
    const courseId = rawCourseId == null ? null : parseInput(id, rawCourseId, 'courseId');
    return this.d.chats.sessionsOf(user.userId, courseId);
  }

  async ask(rawSessionId: unknown, rawQuestion: unknown, rawMode: unknown): Promise<MessageView> {
    const user = this.user();
    const session = await this.ownSession(rawSessionId, 'sessionId');
    if (session.userId !== user.userId) throw new ForbiddenError('Only the session’s owner can ask in it');
    const max = this.d.config.TUTOR_QUESTION_MAX_CHARS;
    const question = parseInput(
      z.string().transform((s) => s.trim()).pipe(z.string().min(1, 'must not be blank').max(max, `must be at most ${max} characters`)),
      rawQuestion,
      'question',
    );
    const mode: TutorMode = parseInput(modeInput, rawMode ?? 'EXPLAIN', 'mode');
    // Access can end after the session began (unenrollment): check it again.
    const access = await this.d.scope.access(user, session.courseId);
    if (!access?.canRead) throw new ForbiddenError('You are not enrolled in or teaching this course');
    // The tutor must not help with a running exam: a student sitting one in this course is refused
    // until the attempt is submitted (other courses are unaffected).
    if (!access.canTeach) {
      const exam = await this.d.examLock.running(session.courseId, user.userId);
      if (exam) {
        throw new AppError('FORBIDDEN', 'You are taking an exam in this course; the tutor is available again once you submit it', {
          reason: 'EXAM_IN_PROGRESS',
          examId: exam.examId,
          until: exam.deadline,
        });
      }
    }

    const replyId = randomUUID();
    await this.d.slots.take(user.userId, replyId);
    try {
      const history = await this.d.chats.recent(session.id, this.d.config.TUTOR_HISTORY_MESSAGES, new Date());
      const { reply } = await this.d.chats.ask(session.id, question, mode, replyId);
      // From here the engine owns the answer, and its slot, until the answer is finished.
      this.d.engine.start({
        messageId: reply.id,
        courseId: session.courseId,
        userId: user.userId,
        question,
        mode,
        history: history.map((m) => ({ role: m.role === 'USER' ? ('user' as const) : ('assistant' as const), content: m.content })),
      });
      return viewOf(reply);
    } catch (err) {
      await this.d.slots.release(user.userId, replyId);
      throw err;
    }
  }

  messagesOf(session: ChatSession): Promise<MessageView[]> {
    return this.messages.load(session.id);
  }

  /**
   * The events of one answer after `afterSeq`: subscribe to the live channel first, then replay
   * what Redis kept (or, once the stream has expired, the saved message), then live events —
   * deduplicated and gap-filled by sequence number — until the final one.
   */
  async *stream(rawMessageId: unknown, rawAfterSeq: unknown): AsyncGenerator<StreamEvent> {
    if (!tracingEnabled()) return yield* this.events(rawMessageId, rawAfterSeq);
    // A subscription is a trace of its own (the client opens it later, over WebSocket), linked to
    // the trace of the askTutor that started the answer.
    const messageId = parseInput(id, rawMessageId, 'messageId');
    const link = linkFromMetadata(await this.d.engine.traceOf(messageId));
    const traced = startSpan('subscription tutorAnswer', {
      kind: SpanKind.SERVER,
      root: true,
      links: link ? [link] : [],
      attributes: { [SERVICE_ATTRIBUTE]: 'tutor', 'graphql.operation.type': 'subscription', 'ai_teacher.message.id': messageId },
    });
    let events = 0;
    try {
      for await (const e of this.events(messageId, rawAfterSeq)) {
        events++;
        yield e;
      }
    } catch (err) {
      failSpan(traced?.span, err);
      throw err;
    } finally {
      traced?.span.setAttribute('ai_teacher.stream.events', events);
      traced?.span.end();
    }
  }

  private async *events(rawMessageId: unknown, rawAfterSeq: unknown): AsyncGenerator<StreamEvent> {
    const user = this.user();
    const messageId = parseInput(id, rawMessageId, 'messageId');
    let last = rawAfterSeq == null ? 0 : parseInput(afterSeqInput, rawAfterSeq, 'afterSeq');
    const message = await this.d.chats.message(messageId);
    if (!message || message.role !== 'TUTOR') throw new NotFoundError('No tutor message with this id');
    const session = await this.d.chats.session(message.sessionId);
    if (!session || (session.userId !== user.userId && user.role !== 'ADMIN')) throw new ForbiddenError('This answer belongs to someone else');

    const inbox: StreamEvent[] = [];
    let wake: (() => void) | null = null;
    const unsubscribe = await this.d.streams.subscribe(messageId, (e) => {
      inbox.push(e);
      wake?.();
    });
    try {
      const fromStore = async (): Promise<StreamEvent[]> => {
        const replay = await this.d.streams.replay(messageId);
        if (replay.at(-1)?.done) return replay;
        const saved = await this.d.chats.message(messageId);
        if (!saved) return replay;
        if (saved.status === 'STREAMING') {
          const lastActivity = Math.max(replay.at(-1)?.at ?? 0, saved.updatedAt.getTime());
          if (Date.now() - lastActivity < STALE_MS) return replay;
          // Nothing for minutes: the generating process died. End the answer so clients can ask again.
          const lastSeq = (replay.at(-1)?.seq ?? 0) + 1;
          const content = replay.map((e) => e.delta ?? '').join('');
          await this.d.finisher.finish({ messageId, userId: session.userId }, { status: 'FAILED', content, answer: null, error: 'the answer was interrupted; please ask again', lastSeq });
          return this.d.streams.replay(messageId);
        }
        // The stream expired from Redis: the saved message is the whole answer.
        return [...replay, { messageId, seq: saved.lastSeq, delta: null, done: true, message: viewOf(saved), at: saved.updatedAt.getTime() }];
      };
      // The final event always goes out (even to a client that saw it), so every subscription ends.
      for (const e of await fromStore()) {
        if (e.seq <= last && !e.done) continue;
        yield e;
        last = e.seq;
        if (e.done) return;
      }
      for (;;) {
        if (!inbox.length) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, QUIET_CHECK_MS);
            timer.unref();
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          wake = null;
          // Quiet for a while: make sure nothing was missed (or the answer ended elsewhere).
          if (!inbox.length) inbox.push(...(await fromStore()).filter((e) => e.seq > last));
          continue;
        }
        inbox.sort((a, b) => a.seq - b.seq);
        const e = inbox.shift()!;
        if (e.seq <= last && !e.done) continue;
        if (e.seq > last + 1) {
          // A gap (a lost pub/sub message): fill it from the stored events.
          for (const m of (await fromStore()).filter((x) => x.seq > last && x.seq < e.seq)) {
            yield m;
            last = m.seq;
            if (m.done) return;
          }
        }
        yield e;
        last = e.seq;
        if (e.done) return;
      }
    } finally {
      unsubscribe();
    }
  }
}
