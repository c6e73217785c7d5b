import type { MutationResolvers } from '../generated/graphql.ts';

export const Mutation: MutationResolvers = {
  createFaculty: (_p, a, ctx) => ctx.academic.createFaculty(a.name),
  createDepartment: (_p, a, ctx) => ctx.academic.createDepartment(a.facultyId, a.name),
  createSemester: (_p, a, ctx) => ctx.academic.createSemester(a.departmentId, a.name),
  createCourse: (_p, a, ctx) => ctx.academic.createCourse(a.semesterId, a.code, a.title),
  createBook: (_p, a, ctx) => ctx.academic.createBook(a.courseId, a.title, a.authors),
  updateBook: (_p, a, ctx) => ctx.academic.updateBook(a.id, a.title, a.authors),
  deleteBook: (_p, a, ctx) => ctx.academic.deleteBook(a.id),
  assignTeacher: (_p, a, ctx) => ctx.academic.assignTeacher(a.courseId, a.userId),
  unassignTeacher: (_p, a, ctx) => ctx.academic.unassignTeacher(a.courseId, a.userId),
  enrollStudent: (_p, a, ctx) => ctx.academic.enrollStudent(a.courseId, a.userId),
  unenrollStudent: (_p, a, ctx) => ctx.academic.unenrollStudent(a.courseId, a.userId),
  updateMyProfile: (_p, a, ctx) => ctx.academic.updateMyProfile(a.displayName),
  importAcademicData: async (_p, a, ctx) => {
    ctx.academic.requireAdmin();
    return ctx.imports.import(a.format, a.document);
  },
};
