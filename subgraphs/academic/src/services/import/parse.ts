// Reading an import document: CSV or JSON in, one flat row per fact out. Whether the rows make
// sense is plan.ts's question.
import { BadUserInputError } from '@ai-teacher/shared';
import { parse as parseCsv } from 'csv-parse/sync';
import { z } from 'zod';

export const MAX_IMPORT_ROWS = 200_000;

export type ImportFormat = 'CSV' | 'JSON';

/** One fact of the document: a hierarchy path, optionally with one teacher or one student. */
export interface ImportRow {
  /** 1-based (CSV: line after the header; JSON: position in the flattened document). */
  row: number;
  faculty: string;
  department?: string | undefined;
  semester?: string | undefined;
  courseCode?: string | undefined;
  courseTitle?: string | undefined;
  teacherEmail?: string | undefined;
  studentEmail?: string | undefined;
}

export const CSV_COLUMNS = ['faculty', 'department', 'semester', 'course_code', 'course_title', 'teacher_email', 'student_email'] as const;

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

function csvRows(document: string): ImportRow[] {
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

function jsonRows(document: string): ImportRow[] {
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
  const rows: ImportRow[] = [];
  const push = (r: Omit<ImportRow, 'row'>) => rows.push({ row: rows.length + 1, ...r });
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

/**
 * Flattens either format into rows: one fact (or a course with one teacher or student) per row.
 * A document that cannot be read at all is BAD_USER_INPUT on `document`.
 */
export function parseImport(format: ImportFormat, document: string): ImportRow[] {
  if (!document.trim()) throw new BadUserInputError('document: must not be empty', 'document');
  const rows = format === 'CSV' ? csvRows(document) : jsonRows(document);
  if (rows.length > MAX_IMPORT_ROWS) throw new BadUserInputError(`document: at most ${MAX_IMPORT_ROWS} rows`, 'document');
  return rows;
}
