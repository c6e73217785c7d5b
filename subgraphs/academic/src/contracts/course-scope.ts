import { defineInternalRoute, type Identity, type InternalClient, invalidateVersioned, type Redis, ROLES, VersionedCache } from '@ai-teacher/shared';
import { z } from 'zod';

const scopeIds = z.object({ courseId: z.uuid(), semesterId: z.uuid(), departmentId: z.uuid(), facultyId: z.uuid() });
/** Where a course sits in the hierarchy: the payload every scoped record (chunks, chats, exams) carries. */
export type CourseScopeIds = z.infer<typeof scopeIds>;

/**
 * What one user may do in one course, decided by academic's access policy (the same one its own
 * resolvers use): null course when the course does not exist.
 */
export const courseAccessRoute = defineInternalRoute({
  path: '/internal/course-access',
  input: z.object({ courseId: z.uuid(), userId: z.uuid(), role: z.enum(ROLES) }),
  output: z.object({ course: scopeIds.nullable(), canRead: z.boolean(), canTeach: z.boolean() }),
});
export type CourseAccessAnswer = z.infer<typeof courseAccessRoute.output>;

const bookInfo = z.object({ bookId: z.uuid(), courseId: z.uuid(), title: z.string() });
/** Which course a book belongs to (retrieval checks uploads and reads against the course). */
export const bookRoute = defineInternalRoute({
  path: '/internal/book',
  input: z.object({ bookId: z.uuid() }),
  output: z.object({ book: bookInfo.nullable() }),
});
export type BookInfo = z.infer<typeof bookInfo>;

export interface CourseAccess {
  scope: CourseScopeIds;
  /** ADMIN, a teacher of the course, or an enrolled student. */
  canRead: boolean;
  /** ADMIN, or a TEACHER assigned to the course. */
  canTeach: boolean;
}

export const COURSE_SCOPE_TTL_SECONDS = 300;
const BOOK_TTL_SECONDS = 3600;

/** A user id no user has, for questions about a course alone. */
const NOBODY = '00000000-0000-0000-0000-000000000000';

const SCOPE_CACHE = 'course-scope';
const bookKey = (bookId: string) => `book-course:${bookId}`;

/**
 * Called by academic after a change to (course, user) commits. Readers key their cache entries by
 * this version, so an answer fetched before the change can never be served after it, even when its
 * write to Redis races with the change.
 */
export async function invalidateCourseAccess(redis: Redis, pairs: [courseId: string, userId: string][]): Promise<void> {
  await invalidateVersioned(redis, SCOPE_CACHE, pairs.map(([courseId, userId]) => `${courseId}:${userId}`));
}

/** Called by academic after a book's deletion commits. */
export async function forgetBook(redis: Redis, bookId: string): Promise<void> {
  await redis.del(bookKey(bookId));
}

/**
 * The one trusted answer to "may user U read / teach course C, and where does C sit?", for tutor,
 * retrieval and exam. Academic decides (an internal call); answers are cached in Redis and
 * invalidated by academic the moment an enrollment or teaching assignment changes, so a removed
 * enrollment stops access at once. Nothing here is ever taken from client input.
 */
export class CourseScopeClient {
  private readonly client: InternalClient;
  private readonly redis: Redis;
  private readonly cache: VersionedCache;
  constructor(client: InternalClient, redis: Redis) {
    this.client = client;
    this.redis = redis;
    this.cache = new VersionedCache(redis, SCOPE_CACHE, COURSE_SCOPE_TTL_SECONDS);
  }

  private answer(courseId: string, userId: string, role: Identity['role']): Promise<CourseAccessAnswer> {
    return this.cache.get(
      `${courseId}:${userId}`,
      role,
      () => this.client.call(courseAccessRoute, { courseId, userId, role }),
      // Unknown courses are not cached: a course created a moment later must be found.
      (fresh) => fresh.course !== null,
    );
  }

  /** Null when the course does not exist. */
  async access(identity: Identity, courseId: string): Promise<CourseAccess | null> {
    const a = await this.answer(courseId, identity.userId, identity.role);
    return a.course ? { scope: a.course, canRead: a.canRead, canTeach: a.canTeach } : null;
  }

  /** Where a course sits (no user involved: the caller has already checked access); null when unknown. */
  async course(courseId: string): Promise<CourseScopeIds | null> {
    return (await this.answer(courseId, NOBODY, 'STUDENT')).course;
  }

  /**
   * The course a book belongs to (books never move), cached for an hour; null when unknown.
   * `fresh` asks academic directly (to confirm that a book was deleted).
   */
  async bookCourse(bookId: string, opts: { fresh?: boolean } = {}): Promise<BookInfo | null> {
    const key = bookKey(bookId);
    if (!opts.fresh) {
      const cached = await this.redis.get(key);
      if (cached) return JSON.parse(cached) as BookInfo;
    }
    const { book } = await this.client.call(bookRoute, { bookId });
    if (book) await this.redis.set(key, JSON.stringify(book), 'EX', BOOK_TTL_SECONDS);
    else await this.redis.del(key);
    return book;
  }
}
