import { randomUUID } from 'node:crypto';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@ai-teacher/shared';
import { Course, Department, Faculty, Semester } from '../entities/index.ts';

export class DuplicateError extends Error {}

async function flushUnique(em: EntityManager): Promise<void> {
  try {
    await em.flush();
  } catch (err) {
    if (err instanceof UniqueConstraintViolationException) throw new DuplicateError();
    throw err;
  }
}

/** Faculties, departments, semesters and courses. */
export class HierarchyRepository {
  private readonly em: EntityManager;
  constructor(em: EntityManager) {
    this.em = em;
  }

  faculties(): Promise<Faculty[]> {
    return this.em.find(Faculty, {}, { orderBy: { name: 'asc' } });
  }
  facultiesByIds(ids: readonly string[]): Promise<Faculty[]> {
    return this.em.find(Faculty, { id: { $in: [...ids] } });
  }
  departmentsByIds(ids: readonly string[]): Promise<Department[]> {
    return this.em.find(Department, { id: { $in: [...ids] } });
  }
  departmentsOfFaculties(facultyIds: readonly string[]): Promise<Department[]> {
    return this.em.find(Department, { facultyId: { $in: [...facultyIds] } }, { orderBy: { name: 'asc' } });
  }
  semestersByIds(ids: readonly string[]): Promise<Semester[]> {
    return this.em.find(Semester, { id: { $in: [...ids] } });
  }
  semestersOfDepartments(departmentIds: readonly string[]): Promise<Semester[]> {
    return this.em.find(Semester, { departmentId: { $in: [...departmentIds] } }, { orderBy: { name: 'asc' } });
  }
  coursesByIds(ids: readonly string[]): Promise<Course[]> {
    return this.em.find(Course, { id: { $in: [...ids] } }, { orderBy: { code: 'asc' } });
  }
  coursesOfSemesters(semesterIds: readonly string[]): Promise<Course[]> {
    return this.em.find(Course, { semesterId: { $in: [...semesterIds] } }, { orderBy: { code: 'asc', id: 'asc' } });
  }

  /** Where a course sits: its semester, department and faculty ids; null when it does not exist. */
  async scopeOfCourse(courseId: string): Promise<{ courseId: string; semesterId: string; departmentId: string; facultyId: string } | null> {
    const [course] = await this.coursesByIds([courseId]);
    if (!course) return null;
    const semester = await this.em.findOneOrFail(Semester, { id: course.semesterId });
    const department = await this.em.findOneOrFail(Department, { id: semester.departmentId });
    return { courseId, semesterId: semester.id, departmentId: department.id, facultyId: department.facultyId };
  }

  /** One page of a semester's courses after (code, id), optionally only among `onlyIds`. */
  coursePage(semesterId: string, limit: number, after: { code: string; id: string } | null, onlyIds: string[] | null): Promise<Course[]> {
    const where: Record<string, unknown> = { semesterId };
    if (onlyIds) where.id = { $in: onlyIds };
    if (after) where.$or = [{ code: { $gt: after.code } }, { code: after.code, id: { $gt: after.id } }];
    return this.em.find(Course, where, { orderBy: { code: 'asc', id: 'asc' }, limit });
  }

  async createFaculty(name: string): Promise<Faculty> {
    const f = this.em.create(Faculty, { id: randomUUID(), name });
    await flushUnique(this.em);
    return f;
  }
  async createDepartment(facultyId: string, name: string): Promise<Department> {
    const d = this.em.create(Department, { id: randomUUID(), facultyId, name });
    await flushUnique(this.em);
    return d;
  }
  async createSemester(departmentId: string, name: string): Promise<Semester> {
    const s = this.em.create(Semester, { id: randomUUID(), departmentId, name });
    await flushUnique(this.em);
    return s;
  }
  async createCourse(semesterId: string, code: string, title: string): Promise<Course> {
    const c = this.em.create(Course, { id: randomUUID(), semesterId, code, title });
    await flushUnique(this.em);
    return c;
  }
}
