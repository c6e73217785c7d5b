import type { BookResolvers, CourseResolvers, DepartmentResolvers, FacultyResolvers, SemesterResolvers, UserResolvers } from '../generated/graphql.ts';

export const Faculty: FacultyResolvers = {
  __resolveReference: (ref, ctx) => ctx.academic.facultyById(ref.id),
  departments: (f, _a, ctx) => ctx.academic.departmentsOf(f),
};

export const Department: DepartmentResolvers = {
  __resolveReference: (ref, ctx) => ctx.academic.departmentById(ref.id),
  faculty: (d, _a, ctx) => ctx.academic.facultyById(d.facultyId),
  semesters: (d, _a, ctx) => ctx.academic.semestersOf(d),
};

export const Semester: SemesterResolvers = {
  __resolveReference: (ref, ctx) => ctx.academic.semesterById(ref.id),
  department: (s, _a, ctx) => ctx.academic.departmentById(s.departmentId),
  courses: (s, _a, ctx) => ctx.academic.coursesOf(s),
  coursesConnection: (s, a, ctx) => ctx.academic.coursesPage(s, a.first, a.after),
};

export const Course: CourseResolvers = {
  // Other subgraphs point at courses; the caller must still be allowed to read them.
  __resolveReference: (ref, ctx) => ctx.academic.course(ref.id),
  semester: (c, _a, ctx) => ctx.academic.semesterOf(c),
  department: (c, _a, ctx) => ctx.academic.departmentOf(c),
  faculty: (c, _a, ctx) => ctx.academic.facultyOf(c),
  books: (c, _a, ctx) => ctx.academic.booksOf(c),
  teachers: async (c, _a, ctx) => (await ctx.academic.teacherIdsOf(c)).map((id) => ({ id })),
  studentsConnection: (c, a, ctx) => ctx.academic.studentsPage(c, a.first, a.after),
};

export const Book: BookResolvers = {
  __resolveReference: (ref, ctx) => ctx.academic.book(ref.id),
  course: (b, _a, ctx) => ctx.academic.courseOfBook(b),
};

export const User: UserResolvers = {
  __resolveReference: (ref) => ({ id: ref.id }),
  profile: (u, _a, ctx) => ctx.academic.profileOf(u.id),
  enrolledCourses: (u, _a, ctx) => ctx.academic.enrolledCoursesOf(u.id),
  teachingCourses: (u, _a, ctx) => ctx.academic.teachingCoursesOf(u.id),
};
