import type { EntityManager } from '@ai-teacher/shared';
import { CourseTeacher, Enrollment } from '../entities/index.ts';
import { enrollWithEvents } from './enrollment-events.ts';

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

  /** Idempotent: true when the teacher was assigned now. */
  async assignTeacher(courseId: string, userId: string): Promise<boolean> {
    const res = await this.em.execute(`insert into "academic"."course_teachers" ("course_id", "user_id", "created_at") values (?, ?, now()) on conflict do nothing`, [courseId, userId], 'run');
    return (res as { affectedRows?: number }).affectedRows === 1;
  }

  /** Idempotent: true when the student was enrolled now, and then (only then) with its ENROLLED event. */
  async enroll(courseId: string, userId: string): Promise<boolean> {
    return (await enrollWithEvents(this.em, [{ course_id: courseId, user_id: userId }])).length === 1;
  }

  private async unlink(entity: Link, courseId: string, userId: string): Promise<boolean> {
    return (await this.em.nativeDelete(entity, { courseId, userId })) > 0;
  }

  unenroll(courseId: string, userId: string) {
    return this.unlink(Enrollment, courseId, userId);
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

  /**
   * One page of a course's enrolled students or assigned teachers, by user id after `afterUserId`
   * (keyset over the (course_id, user_id) primary key), and the last id when more follow.
   */
  async membersPage(courseId: string, role: 'STUDENT' | 'TEACHER', afterUserId: string | null, limit: number): Promise<{ userIds: string[]; next: string | null }> {
    const entity: Link = role === 'STUDENT' ? Enrollment : CourseTeacher;
    const where: Record<string, unknown> = { courseId };
    if (afterUserId) where.userId = { $gt: afterUserId };
    const rows = await this.em.find(entity, where, { orderBy: { userId: 'asc' }, limit: limit + 1, fields: ['userId'] });
    const userIds = rows.slice(0, limit).map((r) => r.userId);
    return { userIds, next: rows.length > limit ? userIds[userIds.length - 1]! : null };
  }
}
