import DataLoader from 'dataloader';
import type { DirectoryUser, UserDirectory } from '@ai-teacher/auth/contracts';
import type { Book, Course, Department, Faculty, Profile, Semester } from '../entities/index.ts';
import type { BookRepository } from '../repositories/book.repository.ts';
import type { HierarchyRepository } from '../repositories/hierarchy.repository.ts';
import type { MembershipRepository } from '../repositories/membership.repository.ts';
import type { ProfileRepository } from '../repositories/profile.repository.ts';

function byKey<T, K>(keys: readonly K[], rows: T[], key: (row: T) => K): (T | null)[] {
  const map = new Map(rows.map((r) => [key(r), r]));
  return keys.map((k) => map.get(k) ?? null);
}

function groupBy<T, K>(keys: readonly K[], rows: T[], key: (row: T) => K): T[][] {
  const map = new Map<K, T[]>();
  for (const r of rows) {
    const list = map.get(key(r));
    if (list) list.push(r);
    else map.set(key(r), [r]);
  }
  return keys.map((k) => map.get(k) ?? []);
}

/** Per-request batching: each relation costs one query per request, however many parents ask. */
export function createLoaders(repos: { hierarchy: HierarchyRepository; books: BookRepository; members: MembershipRepository; profiles: ProfileRepository }, directory: UserDirectory) {
  const { hierarchy, books, members, profiles } = repos;
  return {
    faculty: new DataLoader<string, Faculty | null>(async (ids) => byKey(ids, await hierarchy.facultiesByIds(ids), (r) => r.id)),
    department: new DataLoader<string, Department | null>(async (ids) => byKey(ids, await hierarchy.departmentsByIds(ids), (r) => r.id)),
    semester: new DataLoader<string, Semester | null>(async (ids) => byKey(ids, await hierarchy.semestersByIds(ids), (r) => r.id)),
    course: new DataLoader<string, Course | null>(async (ids) => byKey(ids, await hierarchy.coursesByIds(ids), (r) => r.id)),
    book: new DataLoader<string, Book | null>(async (ids) => byKey(ids, await books.byIds(ids), (r) => r.id)),
    departmentsOfFaculty: new DataLoader<string, Department[]>(async (ids) => groupBy(ids, await hierarchy.departmentsOfFaculties(ids), (r) => r.facultyId)),
    semestersOfDepartment: new DataLoader<string, Semester[]>(async (ids) => groupBy(ids, await hierarchy.semestersOfDepartments(ids), (r) => r.departmentId)),
    coursesOfSemester: new DataLoader<string, Course[]>(async (ids) => groupBy(ids, await hierarchy.coursesOfSemesters(ids), (r) => r.semesterId)),
    booksOfCourse: new DataLoader<string, Book[]>(async (ids) => groupBy(ids, await books.ofCourses(ids), (r) => r.courseId)),
    teacherIdsOfCourse: new DataLoader<string, string[]>(async (ids) =>
      groupBy(ids, await members.teachersOfCourses(ids), (r) => r.courseId).map((rows) => rows.map((r) => r.userId)),
    ),
    profile: new DataLoader<string, Profile | null>(async (ids) => byKey(ids, await profiles.byUserIds(ids), (r) => r.userId)),
    directoryUser: new DataLoader<string, DirectoryUser | null>(async (ids) => byKey(ids, await directory.lookup({ ids: [...ids] }), (r) => r.id)),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
