import { randomUUID } from 'node:crypto';
import { type DomainEvent, type EntityManager, type NewEvent, type NotificationKind, Outbox } from '@ai-teacher/shared';
import { Notification, Preference } from '../entities/notification.entity.ts';
import { type Channels, DEFAULT_PREFERENCES } from '../preferences.ts';

/** Announcements are this subgraph's own events: they go through its outbox like everyone's. */
export const notificationOutbox = new Outbox('notification');

/** A stored notification row as a batch insert returns it. */
export interface Delivered {
  id: string;
  userId: string;
  inApp: boolean;
  email: boolean;
  /** False when an earlier (interrupted) delivery of the event already stored it. */
  inserted: boolean;
  createdAt: Date;
}

export class NotificationRepository {
  private readonly em: EntityManager;
  constructor(em: EntityManager) {
    this.em = em;
  }

  // ---- feed --------------------------------------------------------------------------------------

  /** Newest first, keyset-paginated on (created_at, id). */
  feed(userId: string, limit: number, after: { createdAt: Date; id: string } | null, unreadOnly: boolean): Promise<Notification[]> {
    return this.em.find(
      Notification,
      {
        userId,
        inApp: true,
        ...(unreadOnly ? { readAt: null } : {}),
        ...(after ? { $or: [{ createdAt: { $lt: after.createdAt } }, { createdAt: after.createdAt, id: { $lt: after.id } }] } : {}),
      },
      { orderBy: { createdAt: 'desc', id: 'desc' }, limit },
    );
  }

  unreadCount(userId: string): Promise<number> {
    return this.em.count(Notification, { userId, inApp: true, readAt: null });
  }

  byIds(ids: readonly string[]): Promise<Notification[]> {
    return this.em.find(Notification, { id: { $in: [...ids] } });
  }

  /** Marks the user's own unread notifications (all, or those of `ids`) read; returns how many changed. */
  async markRead(userId: string, ids: string[] | null): Promise<number> {
    return this.em.nativeUpdate(Notification, { userId, readAt: null, inApp: true, ...(ids ? { id: { $in: ids } } : {}) }, { readAt: new Date() });
  }

  // ---- preferences -------------------------------------------------------------------------------

  preferencesOf(userId: string): Promise<Preference[]> {
    return this.em.find(Preference, { userId });
  }

  setPreference(userId: string, kind: NotificationKind, channels: Channels): Promise<Preference> {
    return this.em.upsert(Preference, { userId, kind, ...channels, updatedAt: new Date() });
  }

  /** Each user's channels for one kind (their choice, or the default). */
  async channelsFor(userIds: string[], kind: NotificationKind): Promise<Map<string, Channels>> {
    const chosen = await this.em.find(Preference, { userId: { $in: userIds }, kind });
    const byUser = new Map(chosen.map((p) => [p.userId, { inApp: p.inApp, email: p.email }]));
    return new Map(userIds.map((u) => [u, byUser.get(u) ?? DEFAULT_PREFERENCES[kind]]));
  }

  // ---- delivery ----------------------------------------------------------------------------------

  /**
   * Stores the event once for each of these users, in one statement; users already holding it (a
   * retried or re-delivered event) keep their row. Returns every row of the batch, new or not, so
   * a retry can finish what an interrupted delivery started.
   */
  async storeBatch(event: DomainEvent, recipients: { userId: string; channels: Channels }[]): Promise<Delivered[]> {
    if (!recipients.length) return [];
    const rows = recipients.map((r) => ({ id: randomUUID(), user_id: r.userId, in_app: r.channels.inApp, email: r.channels.email }));
    const conn = this.em.getConnection('write');
    const inserted = (await conn.execute(
      `insert into notification.notifications (id, event_id, user_id, kind, title, body, course_id, data, in_app, email, email_status, created_at)
       select (r->>'id')::uuid, ?, (r->>'user_id')::uuid, ?, ?, ?, ?, ?::jsonb, (r->>'in_app')::boolean, (r->>'email')::boolean,
              case when (r->>'email')::boolean then 'PENDING' end, ?
         from jsonb_array_elements(?::jsonb) r
       on conflict (event_id, user_id) do nothing
       returning id`,
      [event.id, event.kind, event.title, event.body, event.courseId, JSON.stringify(event.data), new Date(event.occurredAt), JSON.stringify(rows)],
      'all',
    )) as { id: string }[];
    const fresh = new Set(inserted.map((r) => r.id));
    const all = (await conn.execute(
      `select id, user_id, in_app, email, created_at from notification.notifications
        where event_id = ? and user_id in (select value::uuid from jsonb_array_elements_text(?::jsonb))`,
      [event.id, JSON.stringify(recipients.map((r) => r.userId))],
      'all',
    )) as { id: string; user_id: string; in_app: boolean; email: boolean; created_at: Date }[];
    return all.map((r) => ({ id: r.id, userId: r.user_id, inApp: r.in_app, email: r.email, inserted: fresh.has(r.id), createdAt: new Date(r.created_at) }));
  }

  notification(id: string): Promise<Notification | null> {
    return this.em.findOne(Notification, { id }, { refresh: true });
  }

  async setEmailOutcome(id: string, status: 'SENT' | 'REJECTED' | 'FAILED', error: string | null): Promise<void> {
    await this.em.nativeUpdate(Notification, { id }, { emailStatus: status, emailError: error });
  }

  // ---- announcements -----------------------------------------------------------------------------

  /** The announcement as an event in this subgraph's outbox (committed before it is delivered). */
  async announce(event: NewEvent): Promise<DomainEvent> {
    const [stored] = await this.em.transactional((tx) => notificationOutbox.add(tx, [event]));
    return stored!;
  }
}
