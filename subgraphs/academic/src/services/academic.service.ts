import {
  BadUserInputError,
  ConflictError,
  ForbiddenError,
  type Identity,
  NotFoundError,
  parseInput,
  type Producer,
  type Redis,
  UnauthenticatedError,
} from '@ai-teacher/shared';
import type { UserDirectory } from '@ai-teacher/auth/contracts';
import type { PurgeBookPayload } from '@ai-teacher/retrieval/contracts';
import { forgetBook, invalidateCourseAccess } from '../contracts.ts';
import { courseRights } from '../policy/course-rights.ts';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Book, Course, Department, Faculty, Profile, Semester } from '../entities/index.ts';
import type { BookRepository } from '../repositories/book.repository.ts';
import { DuplicateError, type HierarchyRepository } from '../repositories/hierarchy.repository.ts';
import type { MembershipRepository } from '../repositories/membership.repository.ts';
import type { ProfileRepository } from '../repositories/profile.repository.ts';
import type { Loaders } from './loaders.ts';

const id = z.uuid({ message: 'must be a valid id' });
const cleanText = (max: number) =>
  z
    .string()
    .transform((s) => s.normalize('NFC').trim().replace(/\s+/g, ' '))
    .pipe(z.string().min(1, 'must not be blank').max(max, `must be at most ${max} characters`));
export const nameInput = cleanText(200);
export const titleInput = cleanText(300);
export const bookTitleInput = cleanText(500);
export const courseCodeInput = z
  .string()
  .transform((s) => s.trim().toUpperCase())
  .pipe(
    z
      .string()
      .min(1, 'must not be blank')
      .max(32, 'must be at most 32 characters')
      .regex(/^[A-Z0-9][A-Z0-9 ._-]*$/, 'may contain letters, digits, spaces, dots, dashes and underscores'),
  );
const authorsInput = z.array(cleanText(200)).max(50, 'at most 50 authors');
const displayNameInput = cleanText(100);
const pageSize = (max: number) => z.number().int().min(1, 'must be at least 1').max(max, `must be at most ${max}`);

export interface Page<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

const encodeCursor = (parts: string[]) => Buffer.from(JSON.stringify(parts)).toString('base64url');
function decodeCursor(cursor: string, length: number): string[] {
  try {
    const parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(parts) && parts.length === length && parts.every((p) => typeof p === 'string')) return parts as string[];
  } catch {
    // fall through
  }
  throw new BadUserInputError('after: is not a cursor from this list', 'after');
}

export interface AcademicServiceDeps {
  identity: Identity | null;
  hierarchy: HierarchyRepository;
  books: BookRepository;
  members: MembershipRepository;
  profiles: ProfileRepository;
  loaders: Loaders;
  directory: UserDirectory;
  redis: Redis;
  /** Tells retrieval (and later exam) that a book is gone, so its material is purged. */
  purgeBooks: Producer<PurgeBookPayload>;
  requestId: string;
  logger: Logger;
}

/**
 * The academic rules: ADMIN manages the hierarchy, assignments and enrollments; a TEACHER manages
 * the books of courses it teaches; students read the courses they are enrolled in; everyone edits
 * only its own profile. Facts come from the database on every request, so a change applies at once.
 */
export class AcademicService {
  private readonly d: AcademicServiceDeps;
  private readableIds: Promise<Set<string> | 'all'> | undefined;
  private taughtIds: Promise<Set<string>> | undefined;

  constructor(deps: AcademicServiceDeps) {
    this.d = deps;
  }

  // ---- who is asking ------------------------------------------------------------------------

  private user(): Identity {
    if (!this.d.identity) throw new UnauthenticatedError();
    return this.d.identity;
  }

  private admin(): Identity {
    const user = this.user();
    if (user.role !== 'ADMIN') throw new ForbiddenError('Only administrators can do this');
    return user;
  }

  private taught(): Promise<Set<string>> {
    const user = this.user();
    return (this.taughtIds ??= this.d.members.taughtCourseIds(user.userId).then((ids) => new Set(ids)));
  }

  /** Course ids the caller may read, loaded once per request; 'all' for ADMIN. */
  readable(): Promise<Set<string> | 'all'> {
    const user = this.user();
    if (user.role === 'ADMIN') return Promise.resolve('all');
    return (this.readableIds ??= Promise.all([this.d.members.enrolledCourseIds(user.userId), this.taught()]).then(
      ([enrolled, taught]) => new Set([...enrolled, ...taught]),
    ));
  }

  private async rights(courseId: string) {
    const user = this.user();
    if (user.role === 'ADMIN') return courseRights(user.role, { enrolled: false, teaches: false });
    const [readable, taught] = await Promise.all([this.readable(), this.taught()]);
    const teaches = taught.has(courseId);
    return courseRights(user.role, { enrolled: readable !== 'all' && readable.has(courseId) && !teaches, teaches });
  }

  private async canRead(courseId: string): Promise<boolean> {
    return (await this.rights(courseId)).canRead;
  }

  private async canTeach(courseId: string): Promise<boolean> {
    return (await this.rights(courseId)).canTeach;
  }

  private async readableCourses(courses: Course[]): Promise<Course[]> {
    const ids = await this.readable();
    return ids === 'all' ? courses : courses.filter((c) => ids.has(c.id));
  }

  // ---- reads ----------------------------------------------------------------------------------

  requireAdmin(): void {
    this.admin();
  }

  private async existing<T>(loader: { load(id: string): Promise<T | null> }, rawId: unknown, what: string): Promise<T> {
    const entityId = parseInput(id, rawId, 'id');
    this.user();
    const found = await loader.load(entityId);
    if (!found) throw new NotFoundError(`No ${what} with this id`);
    return found;
  }

  facultyById(facultyId: unknown): Promise<Faculty> {
    return this.existing(this.d.loaders.faculty, facultyId, 'faculty');
  }
  departmentById(departmentId: unknown): Promise<Department> {
    return this.existing(this.d.loaders.department, departmentId, 'department');
  }
  semesterById(semesterId: unknown): Promise<Semester> {
    return this.existing(this.d.loaders.semester, semesterId, 'semester');
  }

  faculties(): Promise<Faculty[]> {
    this.user();
    return this.d.hierarchy.faculties();
  }

  departmentsOf(faculty: Faculty): Promise<Department[]> {
    return this.d.loaders.departmentsOfFaculty.load(faculty.id);
  }

  semestersOf(department: Department): Promise<Semester[]> {
    return this.d.loaders.semestersOfDepartment.load(department.id);
  }

  async coursesOf(semester: Semester): Promise<Course[]> {
    return this.readableCourses(await this.d.loaders.coursesOfSemester.load(semester.id));
  }

  async coursesPage(semester: Semester, first: unknown, after: unknown): Promise<Page<Course>> {
    const limit = parseInput(pageSize(100), first, 'first');
    const cursor = after == null ? null : decodeCursor(String(after), 2);
    const ids = await this.readable();
    const rows = await this.d.hierarchy.coursePage(
      semester.id,
      limit + 1,
      cursor ? { code: cursor[0]!, id: cursor[1]! } : null,
      ids === 'all' ? null : [...ids],
    );
    const nodes = rows.slice(0, limit);
    const edges = nodes.map((c) => ({ cursor: encodeCursor([c.code, c.id]), node: c }));
    return { edges, pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null } };
  }

  /** A course the caller may read: NOT_FOUND when it does not exist, FORBIDDEN otherwise. */
  async course(rawId: unknown, field = 'id'): Promise<Course> {
    const courseId = parseInput(id, rawId, field);
    this.user();
    const course = await this.d.loaders.course.load(courseId);
    if (!course) throw new NotFoundError('No course with this id');
    if (!(await this.canRead(course.id))) throw new ForbiddenError('You are not enrolled in or teaching this course');
    return course;
  }

  async myCourses(): Promise<Course[]> {
    const user = this.user();
    const [enrolled, taught] = await Promise.all([this.d.members.enrolledCourseIds(user.userId), this.taught()]);
    const ids = [...new Set([...enrolled, ...taught])];
    return ids.length ? this.d.hierarchy.coursesByIds(ids) : [];
  }

  async semesterOf(course: Course): Promise<Semester> {
    return (await this.d.loaders.semester.load(course.semesterId))!;
  }
  async departmentOf(course: Course): Promise<Department> {
    const semester = await this.semesterOf(course);
    return (await this.d.loaders.department.load(semester.departmentId))!;
  }
  async facultyOf(course: Course): Promise<Faculty> {
    const department = await this.departmentOf(course);
    return (await this.d.loaders.faculty.load(department.facultyId))!;
  }

  booksOf(course: Course): Promise<Book[]> {
    return this.d.loaders.booksOfCourse.load(course.id);
  }

  async teacherIdsOf(course: Course): Promise<string[]> {
    return this.d.loaders.teacherIdsOfCourse.load(course.id);
  }

  async studentsPage(course: Course, first: unknown, after: unknown): Promise<Page<{ id: string }> & { totalCount: number }> {
    if (!(await this.canTeach(course.id))) throw new ForbiddenError('Only administrators and the course’s teachers can list its students');
    const limit = parseInput(pageSize(500), first, 'first');
    const cursor = after == null ? null : decodeCursor(String(after), 1);
    const { userIds, total } = await this.d.members.studentPage(course.id, limit + 1, cursor?.[0] ?? null);
    const edges = userIds.slice(0, limit).map((userId) => ({ cursor: encodeCursor([userId]), node: { id: userId } }));
    return { edges, pageInfo: { hasNextPage: userIds.length > limit, endCursor: edges.at(-1)?.cursor ?? null }, totalCount: total };
  }

  /** A book of a course the caller may read. */
  async book(rawId: unknown): Promise<Book> {
    const bookId = parseInput(id, rawId, 'id');
    this.user();
    const book = await this.d.loaders.book.load(bookId);
    if (!book) throw new NotFoundError('No book with this id');
    if (!(await this.canRead(book.courseId))) throw new ForbiddenError('You are not enrolled in or teaching this course');
    return book;
  }

  async courseOfBook(book: Book): Promise<Course> {
    return (await this.d.loaders.course.load(book.courseId))!;
  }

  async profileOf(userId: string): Promise<{ displayName: string } | null> {
    this.user();
    const profile = await this.d.loaders.profile.load(userId);
    if (profile) return { displayName: profile.displayName };
    // Before a profile is edited, the name given at registration stands.
    const user = await this.d.loaders.directoryUser.load(userId);
    return user ? { displayName: user.displayName } : null;
  }

  private selfOrAdmin(userId: string): void {
    const user = this.user();
    if (user.userId !== userId && user.role !== 'ADMIN') throw new ForbiddenError('You can only see your own courses');
  }

  async enrolledCoursesOf(userId: string): Promise<Course[]> {
    this.selfOrAdmin(userId);
    const ids = await this.d.members.enrolledCourseIds(userId);
    return ids.length ? this.d.hierarchy.coursesByIds(ids) : [];
  }

  async teachingCoursesOf(userId: string): Promise<Course[]> {
    this.selfOrAdmin(userId);
    const ids = await this.d.members.taughtCourseIds(userId);
    return ids.length ? this.d.hierarchy.coursesByIds(ids) : [];
  }

  // ---- hierarchy (ADMIN) -----------------------------------------------------------------------

  async createFaculty(rawName: unknown): Promise<Faculty> {
    this.admin();
    const name = parseInput(nameInput, rawName, 'name');
    try {
      return await this.d.hierarchy.createFaculty(name);
    } catch (err) {
      if (err instanceof DuplicateError) throw new ConflictError('A faculty with this name already exists', 'name');
      throw err;
    }
  }

  async createDepartment(rawFacultyId: unknown, rawName: unknown): Promise<Department> {
    this.admin();
    const facultyId = parseInput(id, rawFacultyId, 'facultyId');
    const name = parseInput(nameInput, rawName, 'name');
    if (!(await this.d.loaders.faculty.load(facultyId))) throw new NotFoundError('No faculty with this id');
    try {
      return await this.d.hierarchy.createDepartment(facultyId, name);
    } catch (err) {
      if (err instanceof DuplicateError) throw new ConflictError('This faculty already has a department with this name', 'name');
      throw err;
    }
  }

  async createSemester(rawDepartmentId: unknown, rawName: unknown): Promise<Semester> {
    this.admin();
    const departmentId = parseInput(id, rawDepartmentId, 'departmentId');
    const name = parseInput(nameInput, rawName, 'name');
    if (!(await this.d.loaders.department.load(departmentId))) throw new NotFoundError('No department with this id');
    try {
      return await this.d.hierarchy.createSemester(departmentId, name);
    } catch (err) {
      if (err instanceof DuplicateError) throw new ConflictError('This department already has a semester with this name', 'name');
      throw err;
    }
  }

  async createCourse(rawSemesterId: unknown, rawCode: unknown, rawTitle: unknown): Promise<Course> {
    this.admin();
    const semesterId = parseInput(id, rawSemesterId, 'semesterId');
    const code = parseInput(courseCodeInput, rawCode, 'code');
    const title = parseInput(titleInput, rawTitle, 'title');
    if (!(await this.d.loaders.semester.load(semesterId))) throw new NotFoundError('No semester with this id');
    try {
      return await this.d.hierarchy.createCourse(semesterId, code, title);
    } catch (err) {
      if (err instanceof DuplicateError) throw new ConflictError(`This semester already has a course ${code}`, 'code');
      throw err;
    }
  }

  // ---- books (ADMIN or the course's TEACHER) ---------------------------------------------------

  private async teachableCourse(rawCourseId: unknown, field: string): Promise<Course> {
    const user = this.user();
    const courseId = parseInput(id, rawCourseId, field);
    const course = await this.d.loaders.course.load(courseId);
    if (!course) throw new NotFoundError('No course with this id');
    if (!(await this.canTeach(course.id))) {
      throw new ForbiddenError(user.role === 'TEACHER' ? 'You do not teach this course' : 'Only administrators and the course’s teachers can do this');
    }
    return course;
  }

  async createBook(rawCourseId: unknown, rawTitle: unknown, rawAuthors: unknown): Promise<Book> {
    const course = await this.teachableCourse(rawCourseId, 'courseId');
    const title = parseInput(bookTitleInput, rawTitle, 'title');
    const authors = parseInput(authorsInput, rawAuthors, 'authors');
    return this.d.books.create(course.id, title, authors);
  }

  async updateBook(rawId: unknown, rawTitle: unknown, rawAuthors: unknown): Promise<Book> {
    this.user();
    const bookId = parseInput(id, rawId, 'id');
    const book = await this.d.loaders.book.load(bookId);
    if (!book) throw new NotFoundError('No book with this id');
    await this.teachableCourse(book.courseId, 'id');
    const title = rawTitle == null ? undefined : parseInput(bookTitleInput, rawTitle, 'title');
    const authors = rawAuthors == null ? undefined : parseInput(authorsInput, rawAuthors, 'authors');
    return this.d.books.update(book, { title, authors });
  }

  /**
   * Deletes a book. The purge job (passages, vectors, files) is enqueued inside the same
   * transaction: if the queue cannot take it, the book stays; the job itself confirms the deletion.
   */
  async deleteBook(rawId: unknown): Promise<string> {
    this.user();
    const bookId = parseInput(id, rawId, 'id');
    const book = await this.d.loaders.book.load(bookId);
    if (!book) throw new NotFoundError('No book with this id');
    await this.teachableCourse(book.courseId, 'id');
    await this.d.books.delete(book, () => this.d.purgeBooks.add({ bookId, courseId: book.courseId, requestId: this.d.requestId }).then(() => undefined));
    await forgetBook(this.d.redis, bookId);
    this.d.logger.info({ bookId, courseId: book.courseId, by: this.d.identity?.userId }, 'book deleted; purge queued');
    return bookId;
  }

  // ---- membership (ADMIN) ----------------------------------------------------------------------

  private async membershipTarget(rawCourseId: unknown, rawUserId: unknown, role: 'TEACHER' | 'STUDENT' | null): Promise<{ course: Course; userId: string }> {
    this.admin();
    const courseId = parseInput(id, rawCourseId, 'courseId');
    const userId = parseInput(id, rawUserId, 'userId');
    const course = await this.d.loaders.course.load(courseId);
    if (!course) throw new NotFoundError('No course with this id');
    if (role) {
      const user = await this.d.loaders.directoryUser.load(userId);
      if (!user) throw new NotFoundError('No user with this id');
      if (user.role !== role) throw new BadUserInputError(`userId: the user must have the ${role} role (has ${user.role})`, 'userId');
    }
    return { course, userId };
  }

  private async changed(courseId: string, userId: string, what: string): Promise<void> {
    await invalidateCourseAccess(this.d.redis, [[courseId, userId]]);
    this.d.logger.info({ courseId, userId, by: this.d.identity?.userId }, what);
  }

  async assignTeacher(rawCourseId: unknown, rawUserId: unknown): Promise<Course> {
    const { course, userId } = await this.membershipTarget(rawCourseId, rawUserId, 'TEACHER');
    if (await this.d.members.assignTeacher(course.id, userId)) await this.changed(course.id, userId, 'teacher assigned');
    return course;
  }

  async unassignTeacher(rawCourseId: unknown, rawUserId: unknown): Promise<Course> {
    const { course, userId } = await this.membershipTarget(rawCourseId, rawUserId, null);
    if (await this.d.members.unassignTeacher(course.id, userId)) await this.changed(course.id, userId, 'teacher unassigned');
    return course;
  }

  async enrollStudent(rawCourseId: unknown, rawUserId: unknown): Promise<Course> {
    const { course, userId } = await this.membershipTarget(rawCourseId, rawUserId, 'STUDENT');
    if (await this.d.members.enroll(course.id, userId)) await this.changed(course.id, userId, 'student enrolled');
    return course;
  }

  async unenrollStudent(rawCourseId: unknown, rawUserId: unknown): Promise<Course> {
    const { course, userId } = await this.membershipTarget(rawCourseId, rawUserId, null);
    if (await this.d.members.unenroll(course.id, userId)) await this.changed(course.id, userId, 'student unenrolled');
    return course;
  }

  // ---- profile ----------------------------------------------------------------------------------

  async updateMyProfile(rawDisplayName: unknown): Promise<Pick<Profile, 'displayName'>> {
    const user = this.user();
    const displayName = parseInput(displayNameInput, rawDisplayName, 'displayName');
    const profile = await this.d.profiles.upsert(user.userId, displayName);
    return { displayName: profile.displayName };
  }
}
