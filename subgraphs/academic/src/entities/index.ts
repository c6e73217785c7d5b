import { defineEntity, p } from '@mikro-orm/postgresql';

// Foreign keys are plain id columns: every relation a resolver follows goes through a DataLoader,
// so there is no lazy loading to surprise anyone with N+1 queries.

export const FacultySchema = defineEntity({
  name: 'Faculty',
  tableName: 'faculties',
  properties: {
    id: p.uuid().primary(),
    name: p.string().length(200),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export class Faculty extends FacultySchema.class {}
FacultySchema.setClass(Faculty);

export const DepartmentSchema = defineEntity({
  name: 'Department',
  tableName: 'departments',
  properties: {
    id: p.uuid().primary(),
    facultyId: p.uuid(),
    name: p.string().length(200),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export class Department extends DepartmentSchema.class {}
DepartmentSchema.setClass(Department);

export const SemesterSchema = defineEntity({
  name: 'Semester',
  tableName: 'semesters',
  properties: {
    id: p.uuid().primary(),
    departmentId: p.uuid(),
    name: p.string().length(200),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export class Semester extends SemesterSchema.class {}
SemesterSchema.setClass(Semester);

export const CourseSchema = defineEntity({
  name: 'Course',
  tableName: 'courses',
  properties: {
    id: p.uuid().primary(),
    semesterId: p.uuid(),
    code: p.string().length(32),
    title: p.string().length(300),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export class Course extends CourseSchema.class {}
CourseSchema.setClass(Course);

export const BookSchema = defineEntity({
  name: 'Book',
  tableName: 'books',
  properties: {
    id: p.uuid().primary(),
    courseId: p.uuid(),
    title: p.string().length(500),
    authors: p.json<string[]>(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export class Book extends BookSchema.class {}
BookSchema.setClass(Book);

export const CourseTeacherSchema = defineEntity({
  name: 'CourseTeacher',
  tableName: 'course_teachers',
  properties: {
    courseId: p.uuid().primary(),
    userId: p.uuid().primary(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export class CourseTeacher extends CourseTeacherSchema.class {}
CourseTeacherSchema.setClass(CourseTeacher);

export const EnrollmentSchema = defineEntity({
  name: 'Enrollment',
  tableName: 'enrollments',
  properties: {
    courseId: p.uuid().primary(),
    userId: p.uuid().primary(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export class Enrollment extends EnrollmentSchema.class {}
EnrollmentSchema.setClass(Enrollment);

export const ProfileSchema = defineEntity({
  name: 'Profile',
  tableName: 'profiles',
  properties: {
    userId: p.uuid().primary(),
    displayName: p.string().length(100),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export class Profile extends ProfileSchema.class {}
ProfileSchema.setClass(Profile);
