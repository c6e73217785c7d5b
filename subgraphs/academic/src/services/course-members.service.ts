import type { MikroORM } from '@ai-teacher/shared';
import type { CourseMemberRole, CourseMembersPage } from '../contracts.ts';
import { MembershipRepository } from '../repositories/membership.repository.ts';

/** Answers the internal course-members route (a trusted caller: no user involved). */
export class CourseMembersService {
  private readonly orm: MikroORM;
  constructor(orm: MikroORM) {
    this.orm = orm;
  }

  page(q: { courseId: string; role: CourseMemberRole; after?: string | null | undefined; limit: number }): Promise<CourseMembersPage> {
    return new MembershipRepository(this.orm.em.fork()).membersPage(q.courseId, q.role, q.after ?? null, q.limit);
  }
}
