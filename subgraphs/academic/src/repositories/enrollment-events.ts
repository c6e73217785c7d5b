import { type EntityManager, Outbox } from '@ai-teacher/shared';

/** The academic schema's outbox (events for the notification subgraph). */
export const academicOutbox = new Outbox('academic');

export type EnrollmentPair = { course_id: string; user_id: string };

/**
 * Enrolls students and writes an ENROLLED event for each enrollment that is actually new, in one
 * statement: the events are inserted from the rows the enrollment insert returns (a data-modifying
 * CTE), so they commit or roll back with the enrollments, in whatever transaction `em` is in (a
 * lone statement is a transaction of its own). Already enrolled pairs are left alone and get no
 * event. One statement for 1 or 10,000 pairs. Returns the pairs that were added.
 *
 * The event is built here rather than in a service because a bulk import has to build it in SQL;
 * its shape is the kit's `DomainEvent`:
 * `{ id, kind: 'ENROLLED', courseId, title, body, audience: { userIds: [student] }, data: { courseId }, occurredAt, producer: 'academic' }`.
 */
export async function enrollWithEvents(em: EntityManager, pairs: EnrollmentPair[]): Promise<EnrollmentPair[]> {
  if (!pairs.length) return [];
  const occurredAt = new Date().toISOString();
  return (await em.execute(
    `with added as (
       insert into academic.enrollments (course_id, user_id, created_at)
       select x.course_id, x.user_id, now() from jsonb_to_recordset(?::jsonb) as x(course_id uuid, user_id uuid)
       on conflict do nothing
       returning course_id, user_id),
     events as (
       insert into ${academicOutbox.schema}.outbox (id, event)
       select e.id, jsonb_build_object(
                'id', e.id,
                'kind', 'ENROLLED',
                'courseId', c.id,
                'title', 'Enrolled in ' || c.code || ' ' || c.title,
                'body', 'You are now enrolled in ' || c.code || ' ' || c.title || ': its books, tutor and exams are open to you.',
                'audience', jsonb_build_object('userIds', jsonb_build_array(e.user_id)),
                'data', jsonb_build_object('courseId', c.id),
                'occurredAt', ?::text,
                'producer', 'academic')
         from (select gen_random_uuid() as id, a.course_id, a.user_id from added a) e
         join academic.courses c on c.id = e.course_id)
     select course_id, user_id from added`,
    [JSON.stringify(pairs), occurredAt],
    'all',
  )) as EnrollmentPair[];
}
