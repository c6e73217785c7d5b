import { z } from 'zod';

export const academicConfigSchema = z.object({
  /** Base URL of the auth subgraph's internal API (user look-ups). */
  AUTH_INTERNAL_URL: z.url().default('http://127.0.0.1:4001'),
  /** How often the outbox relay looks for events a crashed process left behind. */
  OUTBOX_RELAY_INTERVAL_MS: z.coerce.number().int().min(100).default(5_000),
});
export type AcademicConfig = z.infer<typeof academicConfigSchema>;
