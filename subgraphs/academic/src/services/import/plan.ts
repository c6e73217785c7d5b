// From rows to what should exist: every row validated (each problem reported with its row and
// column), repeated facts merged, nothing looked up yet.
import { z } from 'zod';
import { courseCodeInput, nameInput, titleInput } from '../../inputs.ts';
import type { ImportRow } from './parse.ts';

export interface ImportRowError {
  row: number;
  /** The CSV column at fault (JSON documents use the same names); null for the row as a whole. */
  field: string | null;
  message: string;
}

export interface PlannedCourse {
  faculty: string;
  department: string;
  semester: string;
  code: string;
  title?: string;
  /** The first row that names the course. */
  row: number;
}

/** A teacher or student of a planned course, by email. */
export interface PlannedLink {
  courseKey: string;
  email: string;
  row: number;
}

/** Each level keyed case-insensitively by its path, so the same name twice is one record. */
export interface ImportPlan {
  faculties: Map<string, string>;
  departments: Map<string, { faculty: string; name: string }>;
  semesters: Map<string, { faculty: string; department: string; name: string }>;
  courses: Map<string, PlannedCourse>;
  teachers: PlannedLink[];
  students: PlannedLink[];
}

const email = z.string().transform((s) => s.normalize('NFKC').trim().toLowerCase()).pipe(z.email('must be a valid email address'));

const key = (...parts: string[]) => parts.map((p) => p.toLowerCase()).join('\u001f');

export function planImport(rows: ImportRow[]): { plan: ImportPlan; errors: ImportRowError[] } {
  const plan: ImportPlan = { faculties: new Map(), departments: new Map(), semesters: new Map(), courses: new Map(), teachers: [], students: [] };
  const errors: ImportRowError[] = [];
  const field = (row: ImportRow, name: string, schema: z.ZodType<string>, value: string | undefined): string | null => {
    const r = schema.safeParse(value ?? '');
    if (r.success) return r.data;
    errors.push({ row: row.row, field: name, message: r.error.issues[0]!.message });
    return null;
  };
  for (const row of rows) {
    const errorsBefore = errors.length;
    const faculty = field(row, 'faculty', nameInput, row.faculty);
    const department = row.department !== undefined ? field(row, 'department', nameInput, row.department) : undefined;
    const semester = row.semester !== undefined ? field(row, 'semester', nameInput, row.semester) : undefined;
    const code = row.courseCode !== undefined ? field(row, 'course_code', courseCodeInput, row.courseCode) : undefined;
    const title = row.courseTitle !== undefined ? field(row, 'course_title', titleInput, row.courseTitle) : undefined;
    const teacher = row.teacherEmail !== undefined ? field(row, 'teacher_email', email, row.teacherEmail) : undefined;
    const student = row.studentEmail !== undefined ? field(row, 'student_email', email, row.studentEmail) : undefined;
    const missing = (name: string) => errors.push({ row: row.row, field: name, message: 'is required by the columns to its right' });
    if (semester !== undefined && department === undefined) missing('department');
    if (code !== undefined && semester === undefined) missing('semester');
    if ((teacher !== undefined || student !== undefined) && code === undefined) missing('course_code');
    if (errors.length > errorsBefore || !faculty) continue;

    plan.faculties.set(key(faculty), faculty);
    if (!department) continue;
    plan.departments.set(key(faculty, department), { faculty, name: department });
    if (!semester) continue;
    plan.semesters.set(key(faculty, department, semester), { faculty, department, name: semester });
    if (!code) continue;
    const courseKey = key(faculty, department, semester, code);
    const existing = plan.courses.get(courseKey);
    if (!existing) plan.courses.set(courseKey, { faculty, department, semester, code, ...(title ? { title } : {}), row: row.row });
    else if (title && !existing.title) existing.title = title;
    if (teacher) plan.teachers.push({ courseKey, email: teacher, row: row.row });
    if (student) plan.students.push({ courseKey, email: student, row: row.row });
  }
  return { plan, errors };
}
