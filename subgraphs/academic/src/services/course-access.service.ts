import type { MikroORM, Role } from '@ai-teacher/shared';
import type { BookInfo, CourseAccessAnswer } from '../contracts.ts';
import { courseRights } from '../policy/course-rights.ts';
import { BookRepository } from '../repositories/book.repository.ts';
import { HierarchyRepository } from '../repositories/hierarchy.repository.ts';
import { MembershipRepository } from '../repositories/membership.repository.ts';

/** Answers other services' course questions (the internal course-access and book routes). */
export class CourseAccessService {
  private readonly orm: MikroORM;
  constructor(orm: MikroORM) {
    this.orm = orm;
  }

  async access(courseId: string, userId: string, role: Role): Promise<CourseAccessAnswer> {
    const em = this.orm.em.fork();
    const hierarchy = new HierarchyRepository(em);
    const members = new MembershipRepository(em);
    const scope = await hierarchy.scopeOfCourse(courseId);
    if (!scope) return { course: null, canRead: false, canTeach: false };
    const [enrolled, teaches] = await Promise.all([members.isEnrolled(courseId, userId), members.teaches(courseId, userId)]);
    return { course: scope, ...courseRights(role, { enrolled, teaches }) };
  }

  async book(bookId: string): Promise<BookInfo | null> {
    const [book] = await new BookRepository(this.orm.em.fork()).byIds([bookId]);
    return book ? { bookId: book.id, courseId: book.courseId, title: book.title } : null;
  }
}
