import type { BookResolvers, CourseResolvers, DepartmentResolvers, FacultyResolvers, SemesterResolvers, UserResolvers } from '../generated/graphql.ts';

export const Faculty: FacultyResolvers = {
  __resolveReference: (ref, ctx) => ctx.hierarchy.facultyById(ref.id),
  departments: (f, _a, ctx) => ctx.hierarchy.departmentsOf(f),
};

export const Department: DepartmentResolvers = {
  __resolveReference: (ref, ctx) => ctx.hierarchy.departmentById(ref.id),
  faculty: (d, _a, ctx) => ctx.hierarchy.facultyById(d.facultyId),
  semesters: (d, _a, ctx) => ctx.hierarchy.semestersOf(d),
};

export const Semester: SemesterResolvers = {
  __resolveReference: (ref, ctx) => ctx.hierarchy.semesterById(ref.id),
  department: (s, _a, ctx) => ctx.hierarchy.departmentById(s.departmentId),
  courses: (s, _a, ctx) => ctx.hierarchy.coursesOf(s),
  coursesConnection: (s, a, ctx) => ctx.hierarchy.coursesPage(s, a.first, a.after),
};

export const Course: CourseResolvers = {
  // Other subgraphs point at courses; the caller must still be allowed to read them.
  __resolveReference: (ref, ctx) => ctx.hierarchy.course(ref.id),
  semester: (c, _a, ctx) => ctx.hierarchy.semesterOf(c),
  department: (c, _a, ctx) => ctx.hierarchy.departmentOf(c),
  faculty: (c, _a, ctx) => ctx.hierarchy.facultyOf(c),
  books: (c, _a, ctx) => ctx.books.booksOf(c),
  teachers: (c, _a, ctx) => ctx.memberships.teachersOf(c),
  studentsConnection: (c, a, ctx) => ctx.memberships.studentsPage(c, a.first, a.after),
};

export const Book: BookResolvers = {
  __resolveReference: (ref, ctx) => ctx.books.book(ref.id),
  course: (b, _a, ctx) => ctx.books.courseOf(b),
};

export const User: UserResolvers = {
  __resolveReference: (ref) => ({ id: ref.id }),
  profile: (u, _a, ctx) => ctx.profiles.profileOf(u.id),
  enrolledCourses: (u, _a, ctx) => ctx.memberships.enrolledCoursesOf(u.id),
  teachingCourses: (u, _a, ctx) => ctx.memberships.teachingCoursesOf(u.id),
};
