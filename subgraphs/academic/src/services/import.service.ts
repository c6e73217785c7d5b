import { BadUserInputError, type EntityManager, type Redis } from '@ai-teacher/shared';
import type { DirectoryUser, UserDirectory } from '@ai-teacher/auth/contracts';
import { invalidateCourseAccess } from '../contracts.ts';
import { parse as parseCsv } from 'csv-parse/sync';
import type { Logger } from 'pino';
import { z } from 'zod';
import { courseCodeInput, nameInput, titleInput } from './academic.service.ts';

export const MAX_IMPORT_ROWS = 200_000;

interface Row {
  row: number;
  faculty: string;
  department?: string | undefined;
  semester?: string | undefined;
  courseCode?: string | undefined;
  courseTitle?: string | undefined;
  teacherEmail?: string | undefined;
  studentEmail?: string | undefined;
}

export interface ImportRowError {
  row: number;
  field: string | null;
  message: string;
}

export interface ImportReport {
  applied: boolean;
  rows: number;
  facultiesCreated: number;
  departmentsCreated: number;
  semestersCreated: number;
  coursesCreated: number;
  teacherAssignmentsCreated: number;
  enrollmentsCreated: number;
  errors: ImportRowError[];
}

const CSV_COLUMNS = ['faculty', 'department', 'semester', 'course_code', 'course_title', 'teacher_email', 'student_email'] as const;

const jsonDocument = z.object({
  faculties: z.array(
    z.object({
      name: z.string(),
      departments: z
        .array(
          z.object({
            name: z.string(),
            semesters: z
              .array(
                z.object({
                  name: z.string(),
                  courses: z
                    .array(
                      z.object({
                        code: z.string(),
                        title: z.string().optional(),
                        teachers: z.array(z.string()).default([]),
                        students: z.array(z.string()).default([]),
                      }),
                    )
                    .default([]),
                }),
              )
              .default([]),
          }),
        )
        .default([]),
    }),
  ),
});

const email = z.string().transform((s) => s.normalize('NFKC').trim().toLowerCase()).pipe(z.email('must be a valid email address'));

/** Flattens either format into rows: one fact (or a course with one teacher or student) per row. */
function readRows(format: 'CSV' | 'JSON', document: string): Row[] {
  if (format === 'CSV') {
    let records: Record<string, string>[];
    try {
      records = parseCsv(document, { columns: (h: string[]) => h.map((c) => c.trim().toLowerCase()), skip_empty_lines: true, trim: true, bom: true });
    } catch (err) {
      throw new BadUserInputError(`document: not valid CSV (${(err as Error).message})`, 'document');
    }
    const header = records.length ? Object.keys(records[0]!) : [];
    const unknown = header.filter((h) => !(CSV_COLUMNS as readonly string[]).includes(h));
    if (unknown.length) throw new BadUserInputError(`document: unknown CSV columns ${unknown.join(', ')}; expected ${CSV_COLUMNS.join(',')}`, 'document');
    const blank = (v: string | undefined) => (v ? v : undefined);
    return records.map((r, i) => ({
      row: i + 1,
      faculty: r.faculty ?? '',
      department: blank(r.department),
      semester: blank(r.semester),
      courseCode: blank(r.course_code),
      courseTitle: blank(r.course_title),
      teacherEmail: blank(r.teacher_email),
      studentEmail: blank(r.student_email),
    }));
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(document);
  } catch (err) {
    throw new BadUserInputError(`document: not valid JSON (${(err as Error).message})`, 'document');
  }
  const doc = jsonDocument.safeParse(parsed);
  if (!doc.success) {
    const issue = doc.error.issues[0]!;
    throw new BadUserInputError(`document.${issue.path.join('.')}: ${issue.message}`, 'document');
  }
  const rows: Row[] = [];
  const push = (r: Omit<Row, 'row'>) => rows.push({ row: rows.length + 1, ...r });
  for (const f of doc.data.faculties) {
    if (!f.departments.length) push({ faculty: f.name });
    for (const d of f.departments) {
      if (!d.semesters.length) push({ faculty: f.name, department: d.name });
      for (const s of d.semesters) {
        if (!s.courses.length) push({ faculty: f.name, department: d.name, semester: s.name });
        for (const c of s.courses) {
          const base = { faculty: f.name, department: d.name, semester: s.name, courseCode: c.code, courseTitle: c.title };
          push(base);
          for (const t of c.teachers) push({ ...base, teacherEmail: t });
          for (const st of c.students) push({ ...base, studentEmail: st });
        }
      }
    }
  }
  return rows;
}

/** Thrown inside the transaction to undo it when a row turns out wrong late. */
class RolledBack extends Error {}

const key = (...parts: string[]) => parts.map((p) => p.toLowerCase()).join('\u001f');

interface Plan {
  faculties: Map<string, string>; // key → name
  departments: Map<string, { faculty: string; name: string }>;
  semesters: Map<string, { faculty: string; department: string; name: string }>;
  courses: Map<string, { faculty: string; department: string; semester: string; code: string; title?: string; row: number }>;
  teachers: { courseKey: string; email: string; row: number }[];
  students: { courseKey: string; email: string; row: number }[];
}

/**
 * Bulk import of the hierarchy, teacher assignments and enrollments. Validates every row first and
 * writes nothing when any is wrong; otherwise applies everything in one transaction with set-based
 * upserts (a 10,000-student enrollment is a handful of statements), so re-running it is a no-op.
 */
export class ImportService {
  private readonly em: EntityManager;
  private readonly directory: UserDirectory;
  private readonly redis: Redis;
  private readonly logger: Logger;

  constructor(deps: { em: EntityManager; directory: UserDirectory; redis: Redis; logger: Logger }) {
    this.em = deps.em;
    this.directory = deps.directory;
    this.redis = deps.redis;
    this.logger = deps.logger;
  }

  async import(format: 'CSV' | 'JSON', document: string): Promise<ImportReport> {
    if (!document.trim()) throw new BadUserInputError('document: must not be empty', 'document');
    const rows = readRows(format, document);
    if (rows.length > MAX_IMPORT_ROWS) throw new BadUserInputError(`document: at most ${MAX_IMPORT_ROWS} rows`, 'document');
    const errors: ImportRowError[] = [];
    const plan = this.plan(rows, errors);
    const users = await this.resolveUsers(plan, errors);
    const report: ImportReport = {
      applied: false,
      rows: rows.length,
      facultiesCreated: 0,
      departmentsCreated: 0,
      semestersCreated: 0,
      coursesCreated: 0,
      teacherAssignmentsCreated: 0,
      enrollmentsCreated: 0,
      errors,
    };
    if (errors.length) return report;
    let created;
    try {
      created = await this.apply(plan, users, errors);
    } catch (err) {
      if (err instanceof RolledBack) return report;
      throw err;
    }
    Object.assign(report, created.counts, { applied: true });
    // Readers' cached course scopes must see new teachers and students at once.
    await invalidateCourseAccess(this.redis, created.links);
    this.logger.info({ rows: rows.length, ...created.counts }, 'academic data imported');
    return report;
  }

  private plan(rows: Row[], errors: ImportRowError[]): Plan {
    const plan: Plan = { faculties: new Map(), departments: new Map(), semesters: new Map(), courses: new Map(), teachers: [], students: [] };
    const field = (row: Row, name: string, schema: z.ZodType<string>, value: string | undefined): string | null => {
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
    return plan;
  }

  private async resolveUsers(plan: Plan, errors: ImportRowError[]): Promise<Map<string, DirectoryUser>> {
    const emails = [...new Set([...plan.teachers, ...plan.students].map((l) => l.email))];
    const found = new Map((await this.directory.lookup({ emails })).map((u) => [u.email, u]));
    const check = (links: Plan['teachers'], role: 'TEACHER' | 'STUDENT', column: string) => {
      for (const l of links) {
        const user = found.get(l.email);
        if (!user) errors.push({ row: l.row, field: column, message: `no account with email ${l.email}` });
        else if (user.role !== role) errors.push({ row: l.row, field: column, message: `${l.email} has the ${user.role} role, not ${role}` });
      }
    };
    check(plan.teachers, 'TEACHER', 'teacher_email');
    check(plan.students, 'STUDENT', 'student_email');
    return found;
  }

  private async apply(plan: Plan, users: Map<string, DirectoryUser>, errors: ImportRowError[]) {
    return this.em.transactional(async (tx) => {
      const conn = tx.getConnection();
      // Every statement takes one JSON parameter: set-based, whatever the number of rows.
      const run = async <T>(sql: string, data: unknown): Promise<T[]> => (await conn.execute(sql, [JSON.stringify(data)], 'all')) as T[];

      const facultyRows = [...plan.faculties.values()].map((name) => ({ name }));
      const facultiesCreated = (
        await run(
          `insert into academic.faculties (id, name, created_at)
           select gen_random_uuid(), x.name, now() from jsonb_to_recordset(?::jsonb) as x(name text)
           on conflict (lower(name)) do nothing returning id`,
          facultyRows,
        )
      ).length;
      const facultyIds = new Map(
        (await run<{ id: string; name: string }>(`select id, name from academic.faculties where lower(name) in (select lower(value) from jsonb_array_elements_text(?::jsonb))`, facultyRows.map((f) => f.name))).map((f) => [key(f.name), f.id]),
      );

      // Departments and semesters: children unique by (parent, lower(name)).
      const upsertChildren = async (table: 'departments' | 'semesters', parent: 'faculty_id' | 'department_id', rows: { parent_id: string | undefined; name: string }[]) => {
        const created = (
          await run(
            `insert into academic.${table} (id, ${parent}, name, created_at)
             select gen_random_uuid(), x.parent_id, x.name, now() from jsonb_to_recordset(?::jsonb) as x(parent_id uuid, name text)
             on conflict (${parent}, lower(name)) do nothing returning id`,
            rows,
          )
        ).length;
        const found = await run<{ id: string; parent_id: string; name: string }>(
          `select t.id, t.${parent} as parent_id, t.name from academic.${table} t join jsonb_to_recordset(?::jsonb) as x(parent_id uuid, name text)
           on t.${parent} = x.parent_id and lower(t.name) = lower(x.name)`,
          rows,
        );
        return { created, ids: new Map(found.map((r) => [`${r.parent_id}\u001f${r.name.toLowerCase()}`, r.id])) };
      };

      const depts = await upsertChildren(
        'departments',
        'faculty_id',
        [...plan.departments.values()].map((d) => ({ parent_id: facultyIds.get(key(d.faculty)), name: d.name })),
      );
      const departmentsCreated = depts.created;
      const deptId = (faculty: string, department: string) => depts.ids.get(`${facultyIds.get(key(faculty))}\u001f${department.toLowerCase()}`);
      const sems = await upsertChildren(
        'semesters',
        'department_id',
        [...plan.semesters.values()].map((s) => ({ parent_id: deptId(s.faculty, s.department), name: s.name })),
      );
      const semestersCreated = sems.created;
      const semIds = sems.ids;

      const courseList = [...plan.courses.entries()].map(([k, c]) => ({
        key: k,
        row: c.row,
        semester_id: semIds.get(`${deptId(c.faculty, c.department)}\u001f${c.semester.toLowerCase()}`),
        code: c.code,
        title: c.title ?? null,
      }));
      const existingCourses = new Map(
        (
          await run<{ id: string; semester_id: string; code: string }>(
            `select c.id, c.semester_id, c.code from academic.courses c join jsonb_to_recordset(?::jsonb) as x(semester_id uuid, code text)
             on c.semester_id = x.semester_id and c.code = x.code`,
            courseList,
          )
        ).map((c) => [`${c.semester_id}\u001f${c.code}`, c.id]),
      );
      const newCourses = courseList.filter((c) => !existingCourses.has(`${c.semester_id}\u001f${c.code}`));
      for (const c of newCourses) if (!c.title) errors.push({ row: c.row, field: 'course_title', message: `course ${c.code} is new: give its title` });
      if (errors.length) throw new RolledBack(); // undo the upserts above: all or nothing
      const inserted = await run<{ id: string; semester_id: string; code: string }>(
        `insert into academic.courses (id, semester_id, code, title, created_at)
         select gen_random_uuid(), x.semester_id, x.code, x.title, now() from jsonb_to_recordset(?::jsonb) as x(semester_id uuid, code text, title text)
         on conflict (semester_id, code) do nothing returning id, semester_id, code`,
        newCourses,
      );
      for (const c of inserted) existingCourses.set(`${c.semester_id}\u001f${c.code}`, c.id);
      const courseIdOf = new Map(courseList.map((c) => [c.key, existingCourses.get(`${c.semester_id}\u001f${c.code}`)!]));

      const links = (list: Plan['teachers']) => {
        const seen = new Set<string>();
        const out: { course_id: string; user_id: string }[] = [];
        for (const l of list) {
          const pair = { course_id: courseIdOf.get(l.courseKey)!, user_id: users.get(l.email)!.id };
          const k = `${pair.course_id}:${pair.user_id}`;
          if (!seen.has(k)) {
            seen.add(k);
            out.push(pair);
          }
        }
        return out;
      };
      const insertLinks = (table: string, data: { course_id: string; user_id: string }[]) =>
        run<{ course_id: string; user_id: string }>(
          `insert into academic.${table} (course_id, user_id, created_at)
           select x.course_id, x.user_id, now() from jsonb_to_recordset(?::jsonb) as x(course_id uuid, user_id uuid)
           on conflict do nothing returning course_id, user_id`,
          data,
        );
      const teachers = await insertLinks('course_teachers', links(plan.teachers));
      const students = await insertLinks('enrollments', links(plan.students));
      return {
        counts: {
          facultiesCreated,
          departmentsCreated,
          semestersCreated,
          coursesCreated: inserted.length,
          teacherAssignmentsCreated: teachers.length,
          enrollmentsCreated: students.length,
        },
        links: [...teachers, ...students].map((l) => [l.course_id, l.user_id] as [string, string]),
      };
    });
  }
}
