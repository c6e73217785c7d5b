import type { CourseMembersClient, CourseScopeClient } from '@ai-teacher/academic/contracts';
import {
  BadUserInputError,
  decodeCursor,
  ForbiddenError,
  type Identity,
  NOTIFICATION_KINDS,
  type NotificationKind,
  NotFoundError,
  type OutboxRelay,
  parseInput,
  RateLimitedError,
  toPage,
  UnauthenticatedError,
} from '@ai-teacher/shared';
import { RateLimiterRes, type RateLimiterRedis } from 'rate-limiter-flexible';
import { z } from 'zod';
import type { NotificationConfig } from '../config.ts';
import { DEFAULT_PREFERENCES } from '../preferences.ts';
import type { NotificationRepository } from '../repositories/notification.repository.ts';
import type { LiveFeed } from './live-feed.ts';
import { type NotificationView, viewOf } from './views.ts';

const id = z.uuid({ message: 'must be a valid id' });
const first = z.number().int().min(1, 'must be 1 to 100').max(100, 'must be 1 to 100');
const kind = z.enum(NOTIFICATION_KINDS);

/** Plain text: trimmed, no control characters but newlines and tabs. */
const plainText = (max: number) =>
  z
    .string()
    .transform((s) => s.replace(/\r\n?/g, '\n').trim())
    .pipe(
      z
        .string()
        .min(1, 'must not be blank')
        .max(max, `must be at most ${max} characters`)
        // eslint-disable-next-line no-control-regex
        .refine((s) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(s), 'must be plain text (no control characters)'),
    );

export interface NotificationServiceDeps {
  identity: Identity | null;
  config: NotificationConfig;
  notifications: NotificationRepository;
  scope: CourseScopeClient;
  members: CourseMembersClient;
  feed: LiveFeed;
  announceLimiter: RateLimiterRedis;
  relay: OutboxRelay;
}

/** The caller's notifications, preferences and live feed; teachers' announcements. */
export class NotificationService {
  private readonly d: NotificationServiceDeps;
  constructor(deps: NotificationServiceDeps) {
    this.d = deps;
  }

  private user(): Identity {
    if (!this.d.identity) throw new UnauthenticatedError();
    return this.d.identity;
  }

  async mine(rawFirst: unknown, rawAfter: unknown, rawUnreadOnly: unknown) {
    const user = this.user();
    const limit = parseInput(first, rawFirst ?? 20, 'first');
    const after = rawAfter == null ? null : feedPosition(parseInput(z.string().max(200), rawAfter, 'after'));
    const unreadOnly = rawUnreadOnly === true;
    const [rows, unreadCount] = await Promise.all([this.d.notifications.feed(user.userId, limit + 1, after, unreadOnly), this.d.notifications.unreadCount(user.userId)]);
    const page = toPage(rows, limit, (n) => [n.createdAt.toISOString(), n.id]);
    return { edges: page.edges.map((e) => ({ cursor: e.cursor, node: viewOf(e.node) })), pageInfo: page.pageInfo, unreadCount };
  }

  /** Only the caller's own: other users' notifications resolve to null. */
  async byId(rawId: unknown): Promise<NotificationView | null> {
    const user = this.user();
    const [n] = await this.d.notifications.byIds([parseInput(id, rawId, 'id')]);
    return n && n.userId === user.userId && n.inApp ? viewOf(n) : null;
  }

  async preferences() {
    const user = this.user();
    const chosen = new Map((await this.d.notifications.preferencesOf(user.userId)).map((p) => [p.kind, p]));
    return NOTIFICATION_KINDS.map((k) => {
      const p = chosen.get(k);
      return { kind: k, inApp: p?.inApp ?? DEFAULT_PREFERENCES[k].inApp, email: p?.email ?? DEFAULT_PREFERENCES[k].email };
    });
  }

  async setPreference(rawKind: unknown, rawInApp: unknown, rawEmail: unknown) {
    const user = this.user();
    const k: NotificationKind = parseInput(kind, rawKind, 'kind');
    const inApp = parseInput(z.boolean(), rawInApp, 'inApp');
    const email = parseInput(z.boolean(), rawEmail, 'email');
    const p = await this.d.notifications.setPreference(user.userId, k, { inApp, email });
    return { kind: p.kind, inApp: p.inApp, email: p.email };
  }

  async markRead(rawIds: unknown): Promise<number> {
    const user = this.user();
    const ids = rawIds == null ? null : parseInput(z.array(id).max(1_000, 'must list at most 1000 ids'), rawIds, 'ids');
    if (ids && !ids.length) return 0;
    return this.d.notifications.markRead(user.userId, ids);
  }

  /** To every student enrolled in the course; returns how many that is. */
  async announce(rawCourseId: unknown, rawTitle: unknown, rawBody: unknown): Promise<number> {
    const user = this.user();
    const courseId = parseInput(id, rawCourseId, 'courseId');
    const title = parseInput(plainText(this.d.config.ANNOUNCE_TITLE_MAX), rawTitle, 'title');
    const body = parseInput(plainText(this.d.config.ANNOUNCE_BODY_MAX), rawBody, 'body');
    if (title.includes('\n')) throw new BadUserInputError('title: must be one line', 'title');
    const access = await this.d.scope.access(user, courseId);
    if (!access) throw new NotFoundError('No course with this id');
    if (!access.canTeach) throw new ForbiddenError('Only the course\'s teachers or an admin can announce');
    try {
      await this.d.announceLimiter.consume(user.userId);
    } catch (err) {
      if (err instanceof RateLimiterRes) throw new RateLimitedError(err.msBeforeNext / 1000, `At most ${this.d.config.ANNOUNCE_PER_HOUR} announcements per hour`);
      throw err;
    }
    let students = 0;
    for await (const ids of this.d.members.batches(courseId, 'STUDENT', 1_000)) students += ids.length;
    await this.d.notifications.announce({ kind: 'ANNOUNCEMENT', courseId, title, body, audience: { courseStudents: true }, data: { courseId, senderId: user.userId } });
    this.d.relay.kick();
    return students;
  }

  /** The caller's new in-app notifications, as they arrive (subscribed before this returns). */
  added(): Promise<AsyncIterableIterator<NotificationView>> {
    return this.d.feed.iterator(this.user().userId);
  }
}

/** The sort key in an `after` cursor of the feed: (created at, id). */
function feedPosition(cursor: string): { createdAt: Date; id: string } {
  const [createdAt, nid] = decodeCursor(cursor, 2) as [string, string];
  const at = new Date(createdAt);
  if (Number.isNaN(at.getTime()) || !id.safeParse(nid).success) throw new BadUserInputError('after: is not a cursor from this list', 'after');
  return { createdAt: at, id: nid };
}
