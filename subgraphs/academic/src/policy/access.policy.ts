import { ForbiddenError, type Identity, UnauthenticatedError } from '@ai-teacher/shared';
import type { MembershipRepository } from '../repositories/membership.repository.ts';
import { courseRights, type CourseRights } from './course-rights.ts';

/**
 * Who the caller is and what it may do, for one request. Every academic service asks this one
 * object, and each course decision goes through `courseRights`, the rule the internal
 * course-access route answers other subgraphs with. The caller's enrollments and teaching
 * assignments are loaded at most once per request; they are read afresh on the next request, so a
 * change applies at once.
 */
export class AccessPolicy {
  private readonly identity: Identity | null;
  private readonly members: MembershipRepository;
  private enrolledIds: Promise<Set<string>> | undefined;
  private taughtIds: Promise<Set<string>> | undefined;

  constructor(identity: Identity | null, members: MembershipRepository) {
    this.identity = identity;
    this.members = members;
  }

  /** The signed-in caller; UNAUTHENTICATED otherwise. */
  user(): Identity {
    if (!this.identity) throw new UnauthenticatedError();
    return this.identity;
  }

  /** The caller when it is an ADMIN; FORBIDDEN otherwise. */
  admin(): Identity {
    const user = this.user();
    if (user.role !== 'ADMIN') throw new ForbiddenError('Only administrators can do this');
    return user;
  }

  /** Ids of the courses the caller is enrolled in. */
  enrolled(): Promise<Set<string>> {
    const user = this.user();
    return (this.enrolledIds ??= this.members.enrolledCourseIds(user.userId).then((ids) => new Set(ids)));
  }

  /** Ids of the courses the caller teaches. */
  taught(): Promise<Set<string>> {
    const user = this.user();
    return (this.taughtIds ??= this.members.taughtCourseIds(user.userId).then((ids) => new Set(ids)));
  }

  /** Ids of the courses the caller may read; 'all' for ADMIN. */
  async readable(): Promise<Set<string> | 'all'> {
    if (this.user().role === 'ADMIN') return 'all';
    const [enrolled, taught] = await Promise.all([this.enrolled(), this.taught()]);
    return new Set([...enrolled, ...taught]);
  }

  async rights(courseId: string): Promise<CourseRights> {
    const user = this.user();
    // An ADMIN's rights do not depend on the facts, so they are not loaded.
    if (user.role === 'ADMIN') return courseRights(user.role, { enrolled: false, teaches: false });
    const [enrolled, taught] = await Promise.all([this.enrolled(), this.taught()]);
    return courseRights(user.role, { enrolled: enrolled.has(courseId), teaches: taught.has(courseId) });
  }

  async canRead(courseId: string): Promise<boolean> {
    return (await this.rights(courseId)).canRead;
  }

  async canTeach(courseId: string): Promise<boolean> {
    return (await this.rights(courseId)).canTeach;
  }

  /** Those of `courses` the caller may read, in their order. */
  async readableOf<T extends { id: string }>(courses: T[]): Promise<T[]> {
    const ids = await this.readable();
    return ids === 'all' ? courses : courses.filter((c) => ids.has(c.id));
  }
}
