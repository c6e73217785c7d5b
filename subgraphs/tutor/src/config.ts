import { z } from 'zod';
import { zc } from '@ai-teacher/shared';

export const tutorConfigSchema = z.object({
  /** Academic's internal API (course membership and scope). */
  ACADEMIC_INTERNAL_URL: z.url().default('http://127.0.0.1:4002'),
  /** Retrieval's internal API (course-scoped passage search). */
  RETRIEVAL_INTERNAL_URL: z.url().default('http://127.0.0.1:4004'),
  /** The exam subgraph's internal API (is a student sitting an exam in the course?). */
  EXAM_INTERNAL_URL: z.url().default('http://127.0.0.1:4005'),
  /** OpenAI-compatible chat endpoint; unset = the extractive tutor (no model). */
  LLM_BASE_URL: z.url().optional(),
  LLM_MODEL: z.string().default('gpt-4o-mini'),
  LLM_API_KEY: z.string().optional(),
  LLM_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
  LLM_MAX_TOKENS: z.coerce.number().int().positive().default(900),
  TUTOR_QUESTION_MAX_CHARS: z.coerce.number().int().positive().default(2000),
  /** Answers generated at the same time for one user; more get RATE_LIMITED. */
  TUTOR_MAX_CONCURRENT_PER_USER: z.coerce.number().int().positive().default(2),
  /** Passages retrieved for an answer. */
  TUTOR_PASSAGES: z.coerce.number().int().min(1).max(20).default(6),
  /** Earlier messages of the session given to the model as context. */
  TUTOR_HISTORY_MESSAGES: z.coerce.number().int().min(0).max(50).default(6),
  TUTOR_ANSWER_CACHE_TTL: zc.seconds.default(6 * 3600),
  /** How long a streamed answer's events stay in Redis for replay (afterSeq). */
  TUTOR_STREAM_TTL: zc.seconds.default(3600),
});
export type TutorConfig = z.infer<typeof tutorConfigSchema>;
