import type { MikroORM } from '@ai-teacher/shared';
import type { StoredAnswer } from '../entities/chat.entity.ts';
import { ChatRepository } from '../repositories/chat.repository.ts';
import type { GenerationSlots } from './slots.ts';
import type { AnswerStreams } from './stream.ts';
import { viewOf } from './view.ts';

export interface AnswerOutcome {
  status: 'COMPLETE' | 'FAILED';
  content: string;
  answer: StoredAnswer | null;
  error: string | null;
  /** The sequence number of the last event (the one announcing the saved message). */
  lastSeq: number;
}

/**
 * The one place an answer ends, whoever ends it (the generating engine, or a subscriber that finds
 * it abandoned): the final state is stored (only while the message is still STREAMING), the
 * generating user's slot is freed, and then the last event announces the saved message. A client
 * that sees that event may ask again at once: its slot is free by then.
 */
export class AnswerFinisher {
  private readonly orm: MikroORM;
  private readonly streams: AnswerStreams;
  private readonly slots: GenerationSlots;
  constructor(deps: { orm: MikroORM; streams: AnswerStreams; slots: GenerationSlots }) {
    this.orm = deps.orm;
    this.streams = deps.streams;
    this.slots = deps.slots;
  }

  /** Returns false (and publishes nothing) when the answer had already ended elsewhere. */
  async finish(answer: { messageId: string; userId: string }, outcome: AnswerOutcome): Promise<boolean> {
    const { messageId } = answer;
    const chats = new ChatRepository(this.orm.em.fork());
    const stored = await chats.finish(messageId, outcome);
    await this.slots.release(answer.userId, messageId);
    if (!stored) return false;
    const saved = await chats.message(messageId);
    await this.streams.publish({ messageId, seq: outcome.lastSeq, delta: null, done: true, message: saved ? viewOf(saved) : null });
    return true;
  }

  /** Frees the slot when finishing itself failed (the database is away). */
  releaseSlot(answer: { messageId: string; userId: string }): Promise<void> {
    return this.slots.release(answer.userId, answer.messageId);
  }
}
