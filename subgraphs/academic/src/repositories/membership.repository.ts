import type { EntityManager } from '@ai-teacher/shared';
import { CourseTeacher, Enrollment } from '../entities/index.ts';

type Link = typeof CourseTeacher | typeof Enrollment;

/** Who teaches and who is enrolled in which course. */
export class MembershipRepository {
  private readonly em: EntityManager;
  constructor(em: EntityManager) {
    this.em = em;
  }

  private async courseIdsOf(entity: Link, userId: string): Promise<string[]> {
    const rows = await this.em.find(entity, { userId }, { fields: ['courseId'] });
    return rows.map((r) => r.courseId);
  }

  enrolledCourseIds(userId: string): Promise<string[]> {
    return this.courseIdsOf(Enrollment, userId);
  }
  taughtCourseIds(userId: string): Promise<string[]> {
    return this.courseIdsOf(CourseTeacher, userId);
  }
  teachersOfCourses(courseIds: readonly string[]): Promise<CourseTeacher[]> {
    return this.em.find(CourseTeacher, { courseId: { $in: [...courseIds] } }, { orderBy: { createdAt: 'asc', userId: 'asc' } });
  }
  async isEnrolled(courseId: string, userId: string): Promise<boolean> {
    return (await this.em.count(Enrollment, { courseId, userId })) > 0;
  }
  async teaches(courseId: string, userId: string): Promise<boolean> {
    return (await this.em.count(CourseTeacher, { courseId, userId })) > 0;
  }

  /** Idempotent: true when a link was added. */
  private async link(entity: Link, courseId: string, userId: string): Promise<boolean> {
    const res = await this.em.getConnection().execute(
      `insert into "academic"."${entity === Enrollment ? 'enrollments' : 'course_teachers'}" ("course_id", "user_id", "created_at") values (?, ?, now()) on conflict do nothing`,
      [courseId, userId],
      'run',
    );
    return (res as { affectedRows?: number }).affectedRows === 1;
  }
  private async unlink(entity: Link, courseId: string, userId: string): Promise<boolean> {
    return (await this.em.nativeDelete(entity, { courseId, userId })) > 0;
  }

  enroll(courseId: string, userId: string) {
    return this.link(Enrollment, courseId, userId);
  }
  unenroll(courseId: string, userId: string) {
    return this.unlink(Enrollment, courseId, userId);
  }
  assignTeacher(courseId: string, userId: string) {
    return this.link(CourseTeacher, courseId, userId);
  }
  unassignTeacher(courseId: string, userId: string) {
    return this.unlink(CourseTeacher, courseId, userId);
  }

  /** One page of a course's students after `afterUserId`, plus how many there are. */
  async studentPage(courseId: string, limit: number, afterUserId: string | null): Promise<{ userIds: string[]; total: number }> {
    const where: Record<string, unknown> = { courseId };
    if (afterUserId) where.userId = { $gt: afterUserId };
    const [rows, total] = await Promise.all([
      this.em.find(Enrollment, where, { orderBy: { userId: 'asc' }, limit, fields: ['userId'] }),
      this.em.count(Enrollment, { courseId }),
    ]);
    return { userIds: rows.map((r) => r.userId), total };
  }
}
