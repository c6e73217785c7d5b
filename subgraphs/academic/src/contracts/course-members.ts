import { defineInternalRoute, type InternalClient } from '@ai-teacher/shared';
import { z } from 'zod';

export const COURSE_MEMBER_ROLES = ['STUDENT', 'TEACHER'] as const;
export type CourseMemberRole = (typeof COURSE_MEMBER_ROLES)[number];

/**
 * A course's enrolled students or assigned teachers, one page at a time in user-id order (keyset:
 * pass the previous page's `next` as `after`; `next` is null on the last page). An unknown course
 * has no members. The notification worker fans an event out to a course with it, whatever its size.
 */
export const courseMembersRoute = defineInternalRoute({
  path: '/internal/course-members',
  input: z.object({
    courseId: z.uuid(),
    role: z.enum(COURSE_MEMBER_ROLES),
    after: z.uuid().nullish(),
    limit: z.number().int().min(1).max(1000).default(500),
  }),
  output: z.object({ userIds: z.array(z.uuid()), next: z.uuid().nullable() }),
});
export type CourseMembersPage = z.infer<typeof courseMembersRoute.output>;

/** Calls academic's course-members route. */
export class CourseMembersClient {
  private readonly client: InternalClient;
  constructor(client: InternalClient) {
    this.client = client;
  }

  /** One page of members after `after` (none: from the start). */
  page(courseId: string, role: CourseMemberRole, opts: { after?: string | null; limit?: number } = {}): Promise<CourseMembersPage> {
    return this.client.call(courseMembersRoute, { courseId, role, after: opts.after ?? null, limit: opts.limit ?? 500 });
  }

  /** Every member, in batches of at most `limit` user ids (each batch one request). */
  async *batches(courseId: string, role: CourseMemberRole, limit = 500): AsyncGenerator<string[]> {
    let after: string | null = null;
    do {
      const page: CourseMembersPage = await this.page(courseId, role, { after, limit });
      if (page.userIds.length) yield page.userIds;
      after = page.next;
    } while (after);
  }
}
