import type { Role } from '@ai-teacher/shared';

/** What academic knows about one user and one course. */
export interface CourseFacts {
  enrolled: boolean;
  teaches: boolean;
}

export interface CourseRights {
  /** ADMIN, a teacher of the course, or an enrolled student. */
  canRead: boolean;
  /** ADMIN, or a TEACHER assigned to the course. */
  canTeach: boolean;
}

/**
 * The one rule for "may read / may teach a course": academic's own resolvers and the course-access
 * route that tutor, retrieval and exam rely on both decide with it.
 */
export function courseRights(role: Role, facts: CourseFacts): CourseRights {
  const admin = role === 'ADMIN';
  return {
    canRead: admin || facts.enrolled || facts.teaches,
    canTeach: admin || (role === 'TEACHER' && facts.teaches),
  };
}
