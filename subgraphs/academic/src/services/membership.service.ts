import { BadUserInputError, decodeCursor, ForbiddenError, type OutboxRelay, type Page, parseInput, type Redis, toPage } from '@ai-teacher/shared';
import type { Logger } from 'pino';
import { invalidateCourseAccess } from '../contracts.ts';
import type { Course } from '../entities/index.ts';
import { id, pageSize } from '../inputs.ts';
import type { AccessPolicy } from '../policy/access.policy.ts';
import type { HierarchyRepository } from '../repositories/hierarchy.repository.ts';
import type { MembershipRepository } from '../repositories/membership.repository.ts';
import type { Loaders } from './loaders.ts';
import { existing } from './lookup.ts';

export interface MembershipServiceDeps {
  policy: AccessPolicy;
  members: MembershipRepository;
  hierarchy: HierarchyRepository;
  loaders: Loaders;
  redis: Redis;
  /** Relays the outbox (ENROLLED events) once a change has committed. */
  relay: Pick<OutboxRelay, 'kick'>;
  logger: Logger;
}

type Link = 'assignTeacher' | 'unassignTeacher' | 'enroll' | 'unenroll';

/**
 * Who teaches and who studies which course. ADMIN changes it; each change reaches the cached course
 * scopes of tutor, retrieval and exam at once. A user sees its own courses, ADMIN anyone's.
 */
export class MembershipService {
  private readonly d: MembershipServiceDeps;
  constructor(deps: MembershipServiceDeps) {
    this.d = deps;
  }

  // ---- reads ------------------------------------------------------------------------------------

  private coursesByIds(ids: Iterable<string>): Promise<Course[]> {
    const list = [...new Set(ids)];
    return list.length ? this.d.hierarchy.coursesByIds(list) : Promise.resolve([]);
  }

  /** Enrolled (student) or taught (teacher) courses of the caller. */
  async myCourses(): Promise<Course[]> {
    const [enrolled, taught] = await Promise.all([this.d.policy.enrolled(), this.d.policy.taught()]);
    return this.coursesByIds([...enrolled, ...taught]);
  }

  private selfOrAdmin(userId: string): void {
    const user = this.d.policy.user();
    if (user.userId !== userId && user.role !== 'ADMIN') throw new ForbiddenError('You can only see your own courses');
  }

  async enrolledCoursesOf(userId: string): Promise<Course[]> {
    this.selfOrAdmin(userId);
    return this.coursesByIds(await this.d.members.enrolledCourseIds(userId));
  }

  async teachingCoursesOf(userId: string): Promise<Course[]> {
    this.selfOrAdmin(userId);
    return this.coursesByIds(await this.d.members.taughtCourseIds(userId));
  }

  async teachersOf(course: Course): Promise<{ id: string }[]> {
    return (await this.d.loaders.teacherIdsOfCourse.load(course.id)).map((userId) => ({ id: userId }));
  }

  async studentsPage(course: Course, first: unknown, after: unknown): Promise<Page<{ id: string }> & { totalCount: number }> {
    if (!(await this.d.policy.canTeach(course.id))) throw new ForbiddenError('Only administrators and the course’s teachers can list its students');
    const limit = parseInput(pageSize(500), first, 'first');
    const cursor = after == null ? null : decodeCursor(String(after), 1);
    const { userIds, total } = await this.d.members.studentPage(course.id, limit + 1, cursor?.[0] ?? null);
    const page = toPage(
      userIds.map((userId) => ({ id: userId })),
      limit,
      (u) => [u.id],
    );
    return { ...page, totalCount: total };
  }

  // ---- changes (ADMIN) --------------------------------------------------------------------------

  /** The course and user of a change; with `role`, the user must exist and have that role. */
  private async target(rawCourseId: unknown, rawUserId: unknown, role: 'TEACHER' | 'STUDENT' | null): Promise<{ course: Course; userId: string }> {
    this.d.policy.admin();
    const courseId = parseInput(id, rawCourseId, 'courseId');
    const userId = parseInput(id, rawUserId, 'userId');
    const course = await existing(this.d.loaders.course, courseId, 'course');
    if (role) {
      const user = await existing(this.d.loaders.directoryUser, userId, 'user');
      if (user.role !== role) throw new BadUserInputError(`userId: the user must have the ${role} role (has ${user.role})`, 'userId');
    }
    return { course, userId };
  }

  private async change(link: Link, role: 'TEACHER' | 'STUDENT' | null, rawCourseId: unknown, rawUserId: unknown, what: string): Promise<Course> {
    const { course, userId } = await this.target(rawCourseId, rawUserId, role);
    if (await this.d.members[link](course.id, userId)) {
      if (link === 'enroll') this.d.relay.kick(); // its ENROLLED event committed with it
      await invalidateCourseAccess(this.d.redis, [[course.id, userId]]);
      this.d.logger.info({ courseId: course.id, userId, by: this.d.policy.user().userId }, what);
    }
    return course;
  }

  assignTeacher(rawCourseId: unknown, rawUserId: unknown): Promise<Course> {
    return this.change('assignTeacher', 'TEACHER', rawCourseId, rawUserId, 'teacher assigned');
  }
  unassignTeacher(rawCourseId: unknown, rawUserId: unknown): Promise<Course> {
    return this.change('unassignTeacher', null, rawCourseId, rawUserId, 'teacher unassigned');
  }
  enrollStudent(rawCourseId: unknown, rawUserId: unknown): Promise<Course> {
    return this.change('enroll', 'STUDENT', rawCourseId, rawUserId, 'student enrolled');
  }
  unenrollStudent(rawCourseId: unknown, rawUserId: unknown): Promise<Course> {
    return this.change('unenroll', null, rawCourseId, rawUserId, 'student unenrolled');
  }
}
