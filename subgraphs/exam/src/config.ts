import { z } from 'zod';

export const examConfigSchema = z.object({
  /** Academic's internal API (who may teach or read a course). */
  ACADEMIC_INTERNAL_URL: z.url().default('http://127.0.0.1:4002'),
  /** Retrieval's internal API (the course's books and passages). */
  RETRIEVAL_INTERNAL_URL: z.url().default('http://127.0.0.1:4004'),
  /** OpenAI-compatible chat endpoint for generation and short-answer grading; unset = offline generator and rubric-coverage grading. */
  LLM_BASE_URL: z.url().optional(),
  LLM_MODEL: z.string().default('gpt-4o-mini'),
  LLM_API_KEY: z.string().optional(),
  LLM_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
  /** Longest short answer a student may save (characters). */
  EXAM_ANSWER_MAX_CHARS: z.coerce.number().int().positive().default(5_000),
  /** Longest exam window and attempt (days / minutes). */
  EXAM_WINDOW_MAX_DAYS: z.coerce.number().int().positive().default(60),
  EXAM_DURATION_MAX_MINUTES: z.coerce.number().int().positive().default(600),
  /** How often the outbox relay looks for events a crashed process left behind. */
  OUTBOX_RELAY_INTERVAL_MS: z.coerce.number().int().min(100).default(5_000),
});
export type ExamConfig = z.infer<typeof examConfigSchema>;
