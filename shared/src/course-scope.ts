import type { Redis } from 'ioredis';
import type { Identity } from './identity.ts';
import type { InternalClient } from './internal.ts';

/** Where a course sits in the hierarchy: the payload every scoped record (chunks, chats, exams) carries. */
export interface CourseScopeIds {
  courseId: string;
  semesterId: string;
  departmentId: string;
  facultyId: string;
}

/** What the academic subgraph says about one user and one course. */
export interface CourseMembership {
  course: CourseScopeIds | null;
  enrolled: boolean;
  teaches: boolean;
}

export interface CourseAccess {
  scope: CourseScopeIds;
  /** ADMIN, a teacher of the course, or an enrolled student. */
  canRead: boolean;
  /** ADMIN, or a TEACHER assigned to the course. */
  canTeach: boolean;
}

export const COURSE_SCOPE_TTL_SECONDS = 300;

/** A user id no user has, for questions about a course alone. */
const NOBODY = '00000000-0000-0000-0000-000000000000';

const versionKey = (courseId: string, userId: string) => `course-scope-ver:${courseId}:${userId}`;
const entryKey = (courseId: string, userId: string, version: string) => `course-scope:${courseId}:${userId}:${version}`;

/**
 * Called by the academic subgraph after a change to (course, user) commits. Readers key their cache
 * entries by this version, so an answer fetched before the change can never be served after it,
 * even when its write to Redis races with the change.
 */
export async function invalidateCourseMembership(redis: Redis, courseId: string, userId: string): Promise<void> {
  await redis.incr(versionKey(courseId, userId));
}

const bookKey = (bookId: string) => `book-course:${bookId}`;

/** Called by the academic subgraph after a book's deletion commits. */
export async function forgetBook(redis: Redis, bookId: string): Promise<void> {
  await redis.del(bookKey(bookId));
}

/** The same for many (course, user) pairs at once (bulk imports), in one round trip. */
export async function invalidateCourseMemberships(redis: Redis, pairs: [courseId: string, userId: string][]): Promise<void> {
  if (!pairs.length) return;
  const pipeline = redis.pipeline();
  for (const [courseId, userId] of pairs) pipeline.incr(versionKey(courseId, userId));
  await pipeline.exec();
}

/**
 * The one trusted answer to "may user U read / teach course C, and where does C sit?", for tutor,
 * retrieval and exam. Facts come from the academic subgraph (an internal call), are cached in Redis
 * and are invalidated by academic the moment an enrolment or teaching assignment changes, so a
 * removed enrolment stops access at once. Nothing here is ever taken from client input.
 */
export class CourseScopeClient {
  private readonly client: InternalClient;
  private readonly redis: Redis;
  constructor(client: InternalClient, redis: Redis) {
    this.client = client;
    this.redis = redis;
  }

  async membership(courseId: string, userId: string): Promise<CourseMembership> {
    const version = (await this.redis.get(versionKey(courseId, userId))) ?? '0';
    const key = entryKey(courseId, userId, version);
    const cached = await this.redis.get(key);
    if (cached) return JSON.parse(cached) as CourseMembership;
    const fresh = await this.client.post<CourseMembership>('/internal/course-membership', { courseId, userId });
    // Unknown courses are not cached: a course created a moment later must be found.
    if (fresh.course) await this.redis.set(key, JSON.stringify(fresh), 'EX', COURSE_SCOPE_TTL_SECONDS);
    return fresh;
  }

  /**
   * The course a book belongs to (books never move), cached for an hour; null when unknown.
   * `fresh` asks academic directly (to confirm that a book was deleted).
   */
  async bookCourse(bookId: string, opts: { fresh?: boolean } = {}): Promise<{ bookId: string; courseId: string; title: string } | null> {
    const key = bookKey(bookId);
    if (!opts.fresh) {
      const cached = await this.redis.get(key);
      if (cached) return JSON.parse(cached) as { bookId: string; courseId: string; title: string };
    }
    const { book } = await this.client.post<{ book: { bookId: string; courseId: string; title: string } | null }>('/internal/book', { bookId });
    if (book) await this.redis.set(key, JSON.stringify(book), 'EX', 3600);
    else await this.redis.del(key);
    return book;
  }

  /** Where a course sits (no user involved: the caller has already checked access); null when unknown. */
  async course(courseId: string): Promise<CourseScopeIds | null> {
    return (await this.membership(courseId, NOBODY)).course;
  }

  /** Null when the course does not exist. */
  async access(identity: Identity, courseId: string): Promise<CourseAccess | null> {
    const m = await this.membership(courseId, identity.userId);
    if (!m.course) return null;
    const admin = identity.role === 'ADMIN';
    return {
      scope: m.course,
      canRead: admin || m.enrolled || m.teaches,
      canTeach: admin || (m.teaches && identity.role === 'TEACHER'),
    };
  }
}
