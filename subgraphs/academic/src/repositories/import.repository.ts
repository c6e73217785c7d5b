import type { EntityManager } from '@ai-teacher/shared';
import { enrollWithEvents } from './enrollment-events.ts';

/** What a bulk import writes. Parents are named, not referenced by id: they may be created here. */
export interface ImportBatch {
  faculties: string[];
  departments: { faculty: string; name: string }[];
  semesters: { faculty: string; department: string; name: string }[];
  /** `key` is the caller's name for the course, used by the links below and in `untitledCourses`. */
  courses: { key: string; faculty: string; department: string; semester: string; code: string; title?: string | undefined }[];
  teachers: { courseKey: string; userId: string }[];
  students: { courseKey: string; userId: string }[];
}

export interface ImportCounts {
  facultiesCreated: number;
  departmentsCreated: number;
  semestersCreated: number;
  coursesCreated: number;
  teacherAssignmentsCreated: number;
  enrollmentsCreated: number;
}

export type ImportOutcome =
  | { applied: true; counts: ImportCounts; /** (course, user) pairs added. */ links: [courseId: string, userId: string][] }
  /** Nothing was written: these courses do not exist yet and have no title. */
  | { applied: false; untitledCourses: string[] };

/** Thrown inside the transaction to undo it when a row turns out wrong late. */
class RolledBack extends Error {}

type Pair = { course_id: string; user_id: string };

/**
 * The bulk import's writes: set-based upserts (every statement takes one JSON parameter read with
 * jsonb_to_recordset, so a 10,000-student enrollment is a handful of statements), all in one
 * transaction, and idempotent: what exists already is left as it is. Each enrollment that is new
 * gets its ENROLLED event in the outbox, in the same statement (so a re-run sends nothing).
 */
export class ImportRepository {
  private readonly em: EntityManager;
  constructor(em: EntityManager) {
    this.em = em;
  }

  async apply(batch: ImportBatch): Promise<ImportOutcome> {
    const untitledCourses: string[] = [];
    try {
      return await this.em.transactional((tx) => this.write(tx, batch, untitledCourses));
    } catch (err) {
      if (err instanceof RolledBack) return { applied: false, untitledCourses };
      throw err;
    }
  }

  private async write(tx: EntityManager, batch: ImportBatch, untitledCourses: string[]): Promise<ImportOutcome> {
    // Through the transaction's EntityManager: `getConnection().execute()` would run outside it.
    const run = async <T>(sql: string, data: unknown): Promise<T[]> => (await tx.execute(sql, [JSON.stringify(data)], 'all')) as T[];

    const facultyRows = batch.faculties.map((name) => ({ name }));
    const facultiesCreated = (
      await run(
        `insert into academic.faculties (id, name, created_at)
         select gen_random_uuid(), x.name, now() from jsonb_to_recordset(?::jsonb) as x(name text)
         on conflict (lower(name)) do nothing returning id`,
        facultyRows,
      )
    ).length;
    const facultyIds = new Map(
      (await run<{ id: string; name: string }>(`select id, name from academic.faculties where lower(name) in (select lower(value) from jsonb_array_elements_text(?::jsonb))`, batch.faculties)).map((f) => [
        f.name.toLowerCase(),
        f.id,
      ]),
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
      batch.departments.map((d) => ({ parent_id: facultyIds.get(d.faculty.toLowerCase()), name: d.name })),
    );
    const deptId = (faculty: string, department: string) => depts.ids.get(`${facultyIds.get(faculty.toLowerCase())}\u001f${department.toLowerCase()}`);
    const sems = await upsertChildren(
      'semesters',
      'department_id',
      batch.semesters.map((s) => ({ parent_id: deptId(s.faculty, s.department), name: s.name })),
    );

    const courseList = batch.courses.map((c) => ({
      key: c.key,
      semester_id: sems.ids.get(`${deptId(c.faculty, c.department)}\u001f${c.semester.toLowerCase()}`),
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
    for (const c of newCourses) if (!c.title) untitledCourses.push(c.key);
    if (untitledCourses.length) throw new RolledBack(); // undo the upserts above: all or nothing
    const inserted = await run<{ id: string; semester_id: string; code: string }>(
      `insert into academic.courses (id, semester_id, code, title, created_at)
       select gen_random_uuid(), x.semester_id, x.code, x.title, now() from jsonb_to_recordset(?::jsonb) as x(semester_id uuid, code text, title text)
       on conflict (semester_id, code) do nothing returning id, semester_id, code`,
      newCourses,
    );
    for (const c of inserted) existingCourses.set(`${c.semester_id}\u001f${c.code}`, c.id);
    const courseIdOf = new Map(courseList.map((c) => [c.key, existingCourses.get(`${c.semester_id}\u001f${c.code}`)!]));

    const pairs = (links: ImportBatch['teachers']): Pair[] => {
      const seen = new Set<string>();
      const out: Pair[] = [];
      for (const l of links) {
        const pair = { course_id: courseIdOf.get(l.courseKey)!, user_id: l.userId };
        const k = `${pair.course_id}:${pair.user_id}`;
        if (!seen.has(k)) {
          seen.add(k);
          out.push(pair);
        }
      }
      return out;
    };
    const teachers = await run<Pair>(
      `insert into academic.course_teachers (course_id, user_id, created_at)
       select x.course_id, x.user_id, now() from jsonb_to_recordset(?::jsonb) as x(course_id uuid, user_id uuid)
       on conflict do nothing returning course_id, user_id`,
      pairs(batch.teachers),
    );
    // New enrollments and their ENROLLED events in one statement, inside this transaction.
    const students = await enrollWithEvents(tx, pairs(batch.students));
    return {
      applied: true,
      counts: {
        facultiesCreated,
        departmentsCreated: depts.created,
        semestersCreated: sems.created,
        coursesCreated: inserted.length,
        teacherAssignmentsCreated: teachers.length,
        enrollmentsCreated: students.length,
      },
      links: [...teachers, ...students].map((l) => [l.course_id, l.user_id] as [string, string]),
    };
  }
}
