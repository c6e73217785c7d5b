import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@ai-teacher/shared';
import { ChatMessage, ChatSession, type StoredAnswer, type TutorMode } from '../entities/chat.entity.ts';

export class ChatRepository {
  private readonly em: EntityManager;
  constructor(em: EntityManager) {
    this.em = em;
  }

  async createSession(userId: string, courseId: string, title: string): Promise<ChatSession> {
    const s = this.em.create(ChatSession, { id: randomUUID(), userId, courseId, title });
    await this.em.flush();
    return s;
  }

  session(id: string): Promise<ChatSession | null> {
    return this.em.findOne(ChatSession, { id });
  }

  sessionsOf(userId: string, courseId: string | null): Promise<ChatSession[]> {
    return this.em.find(ChatSession, { userId, ...(courseId ? { courseId } : {}) }, { orderBy: { createdAt: 'desc', id: 'asc' }, limit: 200 });
  }

  messagesOf(sessionIds: readonly string[]): Promise<ChatMessage[]> {
    return this.em.find(ChatMessage, { sessionId: { $in: [...sessionIds] } }, { orderBy: { createdAt: 'asc', role: 'desc', id: 'asc' } });
  }

  /** The latest messages of a session, oldest first (conversation context for the model). */
  async recent(sessionId: string, limit: number, before: Date): Promise<ChatMessage[]> {
    if (limit === 0) return [];
    const rows = await this.em.find(ChatMessage, { sessionId, createdAt: { $lt: before }, status: 'COMPLETE' }, { orderBy: { createdAt: 'desc' }, limit });
    return rows.reverse();
  }

  message(id: string): Promise<ChatMessage | null> {
    return this.em.findOne(ChatMessage, { id }, { refresh: true });
  }

  /** The question and the (still empty) tutor message `replyId`, in one transaction. */
  async ask(sessionId: string, question: string, mode: TutorMode, replyId: string): Promise<{ question: ChatMessage; reply: ChatMessage }> {
    return this.em.transactional(async (tx) => {
      const now = new Date();
      const q = tx.create(ChatMessage, { id: randomUUID(), sessionId, role: 'USER', mode, content: question, status: 'COMPLETE', lastSeq: 0, createdAt: now, updatedAt: now });
      // One millisecond later, so "oldest first" keeps question before answer.
      const later = new Date(now.getTime() + 1);
      const r = tx.create(ChatMessage, { id: replyId, sessionId, role: 'TUTOR', mode, content: '', status: 'STREAMING', lastSeq: 0, createdAt: later, updatedAt: later });
      await tx.flush();
      return { question: q, reply: r };
    });
  }

  /** The final state of a tutor message; only a message still STREAMING changes. */
  async finish(id: string, result: { status: 'COMPLETE' | 'FAILED'; content: string; answer: StoredAnswer | null; error: string | null; lastSeq: number }): Promise<boolean> {
    const n = await this.em.nativeUpdate(ChatMessage, { id, status: 'STREAMING' }, { ...result, updatedAt: new Date() });
    return n > 0;
  }
}
