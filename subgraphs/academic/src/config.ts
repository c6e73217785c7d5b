import { z } from 'zod';

export const academicConfigSchema = z.object({
  /** Base URL of the auth subgraph's internal API (user look-ups). */
  AUTH_INTERNAL_URL: z.url().default('http://127.0.0.1:4001'),
});
export type AcademicConfig = z.infer<typeof academicConfigSchema>;
