import type { ChatMessage, StoredAnswer, TutorMode } from '../entities/chat.entity.ts';

/** A chat message as the API shows it (from the database, or from a stream event). */
export interface MessageView {
  id: string;
  role: 'USER' | 'TUTOR';
  content: string;
  status: 'STREAMING' | 'COMPLETE' | 'FAILED';
  answer: StoredAnswer | null;
  mode: TutorMode | null;
  error: string | null;
  createdAt: Date;
}

export function viewOf(m: ChatMessage): MessageView {
  return { id: m.id, role: m.role, content: m.content, status: m.status, answer: m.answer ?? null, mode: m.mode ?? null, error: m.error ?? null, createdAt: m.createdAt };
}
