// What the auth subgraph offers other services: its internal routes' contracts and a typed client.
import { defineInternalRoute, type InternalClient, ROLES } from '@ai-teacher/shared';
import { z } from 'zod';

export const directoryUserSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  role: z.enum(ROLES),
  displayName: z.string(),
});
/** What auth tells other services about a user. */
export type DirectoryUser = z.infer<typeof directoryUserSchema>;

/** Users by id or email (academic: assignments, enrollments, imports). */
export const usersLookupRoute = defineInternalRoute({
  path: '/internal/users/lookup',
  input: z.object({
    ids: z.array(z.uuid()).max(50_000).default([]),
    emails: z.array(z.string().max(320)).max(50_000).default([]),
  }),
  output: z.object({ users: z.array(directoryUserSchema) }),
  bodyLimit: '5mb',
});

/** Looks users up in the auth subgraph by id or email (batched: one call for many). */
export class UserDirectory {
  private readonly client: InternalClient;
  constructor(client: InternalClient) {
    this.client = client;
  }

  async lookup(query: { ids?: string[]; emails?: string[] }): Promise<DirectoryUser[]> {
    if (!query.ids?.length && !query.emails?.length) return [];
    return (await this.client.call(usersLookupRoute, query)).users;
  }
}
