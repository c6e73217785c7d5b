import { ConflictError, decodeCursor, ForbiddenError, type Page, parseInput, toPage } from '@ai-teacher/shared';
import type { Course, Department, Faculty, Semester } from '../entities/index.ts';
import { courseCodeInput, id, nameInput, pageSize, titleInput } from '../inputs.ts';
import type { AccessPolicy } from '../policy/access.policy.ts';
import { DuplicateError, type HierarchyRepository } from '../repositories/hierarchy.repository.ts';
import type { Loaders } from './loaders.ts';
import { existing, type Loader } from './lookup.ts';

export interface HierarchyServiceDeps {
  policy: AccessPolicy;
  hierarchy: HierarchyRepository;
  loaders: Loaders;
}

/** A unique-name clash becomes CONFLICT on `field`. */
async function unique<T>(create: () => Promise<T>, message: string, field: string): Promise<T> {
  try {
    return await create();
  } catch (err) {
    if (err instanceof DuplicateError) throw new ConflictError(message, field);
    throw err;
  }
}

/**
 * Faculties, departments, semesters and courses. Any signed-in user reads the tree above the
 * courses; courses only where the policy lets the caller read them; ADMIN creates.
 */
export class HierarchyService {
  private readonly d: HierarchyServiceDeps;
  constructor(deps: HierarchyServiceDeps) {
    this.d = deps;
  }

  private byId<T>(loader: Loader<T>, rawId: unknown, what: string): Promise<T> {
    const entityId = parseInput(id, rawId, 'id');
    this.d.policy.user();
    return existing(loader, entityId, what);
  }

  facultyById(facultyId: unknown): Promise<Faculty> {
    return this.byId(this.d.loaders.faculty, facultyId, 'faculty');
  }
  departmentById(departmentId: unknown): Promise<Department> {
    return this.byId(this.d.loaders.department, departmentId, 'department');
  }
  semesterById(semesterId: unknown): Promise<Semester> {
    return this.byId(this.d.loaders.semester, semesterId, 'semester');
  }

  /** A course the caller may read: NOT_FOUND when it does not exist, FORBIDDEN otherwise. */
  async course(rawId: unknown): Promise<Course> {
    const course = await this.byId(this.d.loaders.course, rawId, 'course');
    if (!(await this.d.policy.canRead(course.id))) throw new ForbiddenError('You are not enrolled in or teaching this course');
    return course;
  }

  faculties(): Promise<Faculty[]> {
    this.d.policy.user();
    return this.d.hierarchy.faculties();
  }

  departmentsOf(faculty: Faculty): Promise<Department[]> {
    return this.d.loaders.departmentsOfFaculty.load(faculty.id);
  }

  semestersOf(department: Department): Promise<Semester[]> {
    return this.d.loaders.semestersOfDepartment.load(department.id);
  }

  async coursesOf(semester: Semester): Promise<Course[]> {
    return this.d.policy.readableOf(await this.d.loaders.coursesOfSemester.load(semester.id));
  }

  async coursesPage(semester: Semester, first: unknown, after: unknown): Promise<Page<Course>> {
    const limit = parseInput(pageSize(100), first, 'first');
    const cursor = after == null ? null : decodeCursor(String(after), 2);
    const ids = await this.d.policy.readable();
    const rows = await this.d.hierarchy.coursePage(
      semester.id,
      limit + 1,
      cursor ? { code: cursor[0]!, id: cursor[1]! } : null,
      ids === 'all' ? null : [...ids],
    );
    return toPage(rows, limit, (c) => [c.code, c.id]);
  }

  // Parents of a course the caller has already been allowed to read.
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

  // ---- creation (ADMIN) -------------------------------------------------------------------------

  async createFaculty(rawName: unknown): Promise<Faculty> {
    this.d.policy.admin();
    const name = parseInput(nameInput, rawName, 'name');
    return unique(() => this.d.hierarchy.createFaculty(name), 'A faculty with this name already exists', 'name');
  }

  async createDepartment(rawFacultyId: unknown, rawName: unknown): Promise<Department> {
    this.d.policy.admin();
    const facultyId = parseInput(id, rawFacultyId, 'facultyId');
    const name = parseInput(nameInput, rawName, 'name');
    await existing(this.d.loaders.faculty, facultyId, 'faculty');
    return unique(() => this.d.hierarchy.createDepartment(facultyId, name), 'This faculty already has a department with this name', 'name');
  }

  async createSemester(rawDepartmentId: unknown, rawName: unknown): Promise<Semester> {
    this.d.policy.admin();
    const departmentId = parseInput(id, rawDepartmentId, 'departmentId');
    const name = parseInput(nameInput, rawName, 'name');
    await existing(this.d.loaders.department, departmentId, 'department');
    return unique(() => this.d.hierarchy.createSemester(departmentId, name), 'This department already has a semester with this name', 'name');
  }

  async createCourse(rawSemesterId: unknown, rawCode: unknown, rawTitle: unknown): Promise<Course> {
    this.d.policy.admin();
    const semesterId = parseInput(id, rawSemesterId, 'semesterId');
    const code = parseInput(courseCodeInput, rawCode, 'code');
    const title = parseInput(titleInput, rawTitle, 'title');
    await existing(this.d.loaders.semester, semesterId, 'semester');
    return unique(() => this.d.hierarchy.createCourse(semesterId, code, title), `This semester already has a course ${code}`, 'code');
  }
}
