import type { MutationResolvers } from '../generated/graphql.ts';

export const Mutation: MutationResolvers = {
  createFaculty: (_p, a, ctx) => ctx.hierarchy.createFaculty(a.name),
  createDepartment: (_p, a, ctx) => ctx.hierarchy.createDepartment(a.facultyId, a.name),
  createSemester: (_p, a, ctx) => ctx.hierarchy.createSemester(a.departmentId, a.name),
  createCourse: (_p, a, ctx) => ctx.hierarchy.createCourse(a.semesterId, a.code, a.title),
  createBook: (_p, a, ctx) => ctx.books.createBook(a.courseId, a.title, a.authors),
  updateBook: (_p, a, ctx) => ctx.books.updateBook(a.id, a.title, a.authors),
  deleteBook: (_p, a, ctx) => ctx.books.deleteBook(a.id),
  assignTeacher: (_p, a, ctx) => ctx.memberships.assignTeacher(a.courseId, a.userId),
  unassignTeacher: (_p, a, ctx) => ctx.memberships.unassignTeacher(a.courseId, a.userId),
  enrollStudent: (_p, a, ctx) => ctx.memberships.enrollStudent(a.courseId, a.userId),
  unenrollStudent: (_p, a, ctx) => ctx.memberships.unenrollStudent(a.courseId, a.userId),
  updateMyProfile: (_p, a, ctx) => ctx.profiles.updateMyProfile(a.displayName),
  importAcademicData: (_p, a, ctx) => ctx.imports.import(a.format, a.document),
};
