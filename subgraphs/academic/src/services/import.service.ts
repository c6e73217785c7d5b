import type { OutboxRelay, Redis } from '@ai-teacher/shared';
import type { DirectoryUser, UserDirectory } from '@ai-teacher/auth/contracts';
import type { Logger } from 'pino';
import { invalidateCourseAccess } from '../contracts.ts';
import type { AccessPolicy } from '../policy/access.policy.ts';
import type { ImportBatch, ImportCounts, ImportRepository } from '../repositories/import.repository.ts';
import { type ImportFormat, parseImport } from './import/parse.ts';
import { type ImportPlan, type ImportRowError, type PlannedLink, planImport } from './import/plan.ts';

export interface ImportReport extends ImportCounts {
  applied: boolean;
  rows: number;
  errors: ImportRowError[];
}

export interface ImportServiceDeps {
  policy: AccessPolicy;
  imports: ImportRepository;
  directory: UserDirectory;
  redis: Redis;
  /** Relays the outbox (the new enrollments' ENROLLED events) once the import has committed. */
  relay: Pick<OutboxRelay, 'kick'>;
  logger: Logger;
}

const NOTHING_CREATED: ImportCounts = {
  facultiesCreated: 0,
  departmentsCreated: 0,
  semestersCreated: 0,
  coursesCreated: 0,
  teacherAssignmentsCreated: 0,
  enrollmentsCreated: 0,
};

/**
 * Bulk import of the hierarchy, teacher assignments and enrollments (ADMIN). Validates every row
 * first and writes nothing when any is wrong; otherwise applies everything in one transaction, so
 * re-running a document is a no-op.
 */
export class ImportService {
  private readonly d: ImportServiceDeps;
  constructor(deps: ImportServiceDeps) {
    this.d = deps;
  }

  async import(format: ImportFormat, document: string): Promise<ImportReport> {
    this.d.policy.admin();
    const rows = parseImport(format, document);
    const { plan, errors } = planImport(rows);
    const users = await this.resolveUsers(plan, errors);
    const report: ImportReport = { applied: false, rows: rows.length, ...NOTHING_CREATED, errors };
    if (errors.length) return report;

    const outcome = await this.d.imports.apply(batchOf(plan, users));
    if (!outcome.applied) {
      // Only the database knows which courses are new, and a new course needs a title.
      for (const courseKey of outcome.untitledCourses) {
        const course = plan.courses.get(courseKey)!;
        errors.push({ row: course.row, field: 'course_title', message: `course ${course.code} is new: give its title` });
      }
      return report;
    }
    Object.assign(report, outcome.counts, { applied: true });
    if (outcome.counts.enrollmentsCreated) this.d.relay.kick();
    // Readers' cached course scopes must see new teachers and students at once.
    await invalidateCourseAccess(this.d.redis, outcome.links);
    this.d.logger.info({ rows: rows.length, ...outcome.counts }, 'academic data imported');
    return report;
  }

  /** The accounts behind the plan's emails; a missing account or a wrong role is a row error. */
  private async resolveUsers(plan: ImportPlan, errors: ImportRowError[]): Promise<Map<string, DirectoryUser>> {
    const emails = [...new Set([...plan.teachers, ...plan.students].map((l) => l.email))];
    const found = new Map((await this.d.directory.lookup({ emails })).map((u) => [u.email, u]));
    const check = (links: PlannedLink[], role: 'TEACHER' | 'STUDENT', column: string) => {
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
}

/** The plan as the repository writes it: users by id, courses under the plan's keys. */
function batchOf(plan: ImportPlan, users: Map<string, DirectoryUser>): ImportBatch {
  const links = (list: PlannedLink[]) => list.map((l) => ({ courseKey: l.courseKey, userId: users.get(l.email)!.id }));
  return {
    faculties: [...plan.faculties.values()],
    departments: [...plan.departments.values()],
    semesters: [...plan.semesters.values()],
    courses: [...plan.courses].map(([key, c]) => ({ key, ...c })),
    teachers: links(plan.teachers),
    students: links(plan.students),
  };
}
