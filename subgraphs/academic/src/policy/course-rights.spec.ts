import { describe, expect, it } from '@jest/globals';
import { type Role, ROLES } from '@ai-teacher/shared';
import { courseRights } from './course-rights.ts';

// [role, enrolled, teaches] → [canRead, canTeach]: every combination, so a change to the rule
// shows up here as a changed row.
const table: [Role, boolean, boolean, boolean, boolean][] = [
  ['ADMIN', false, false, true, true],
  ['ADMIN', true, false, true, true],
  ['ADMIN', false, true, true, true],
  ['ADMIN', true, true, true, true],
  ['TEACHER', false, false, false, false],
  ['TEACHER', true, false, true, false],
  ['TEACHER', false, true, true, true],
  ['TEACHER', true, true, true, true],
  ['STUDENT', false, false, false, false],
  ['STUDENT', true, false, true, false],
  // A student recorded as a course's teacher (its role changed after the assignment) reads the
  // course but never teaches it.
  ['STUDENT', false, true, true, false],
  ['STUDENT', true, true, true, false],
];

describe('courseRights', () => {
  it('covers every role', () => {
    expect(new Set(table.map(([role]) => role))).toEqual(new Set(ROLES));
  });

  it.each(table)('%s enrolled=%s teaches=%s → canRead=%s canTeach=%s', (role, enrolled, teaches, canRead, canTeach) => {
    expect(courseRights(role, { enrolled, teaches })).toEqual({ canRead, canTeach });
  });
});
