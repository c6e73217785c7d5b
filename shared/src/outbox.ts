// Events that must not be lost: a producing subgraph writes the event into an outbox table of its
// own schema in the same transaction as the change, and a relay moves committed rows to the
// `notify` queue with the event id as job id. A process killed between commit and enqueue loses
// nothing (the row stays until relayed); a relay that runs twice, or two relays at once, add the
// same job id, which BullMQ keeps once.
import { randomUUID } from 'node:crypto';
import type { EntityManager, MikroORM } from './db.ts';
import type { Logger } from './logger.ts';
import { defineQueue, type Producer, standardJobOptions } from './queues.ts';

export const NOTIFICATION_KINDS = ['BOOK_READY', 'BOOK_FAILED', 'EXAM_READY_FOR_REVIEW', 'EXAM_PUBLISHED', 'EXAM_RESULTS', 'ENROLLED', 'ANNOUNCEMENT'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/**
 * Who an event is for, as facts the notification worker resolves from trusted data: named users,
 * and/or the course's enrolled students or teachers at delivery time.
 */
export interface EventAudience {
  userIds?: string[];
  courseStudents?: boolean;
  courseTeachers?: boolean;
}

export interface DomainEvent {
  id: string;
  kind: NotificationKind;
  courseId: string | null;
  /** Plain text, shown as they are (never HTML). */
  title: string;
  body: string;
  audience: EventAudience;
  /** Ids the notification links to (exam, book, attempt). */
  data: Record<string, string>;
  occurredAt: string;
  producer: string;
}

export type NewEvent = Omit<DomainEvent, 'id' | 'occurredAt' | 'producer'>;

/** notify: one job per event; the notification subgraph's worker delivers it. */
export const notifyQueue = defineQueue<DomainEvent>('notify', {
  defaultJobOptions: { ...standardJobOptions, attempts: 8 },
  jobId: (e) => `event-${e.id}`,
});

/** The outbox table, for a subgraph's migration. */
export function outboxTableSql(schema: string): string[] {
  return [
    `create table "${schema}"."outbox" (
      "id" uuid primary key,
      "event" jsonb not null,
      "created_at" timestamptz not null default now(),
      "relayed_at" timestamptz null
    );`,
    `create index "outbox_pending_index" on "${schema}"."outbox" ("created_at") where "relayed_at" is null;`,
  ];
}

/** Writes and relays one schema's outbox. */
export class Outbox {
  readonly schema: string;
  private readonly producer: string;
  constructor(schema: string, producer: string = schema) {
    if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name: ${schema}`);
    this.schema = schema;
    this.producer = producer;
  }

  /** Inside the caller's transaction (`tx` is the transaction's EntityManager): the event commits with the change. */
  async add(tx: EntityManager, events: NewEvent[]): Promise<DomainEvent[]> {
    if (!events.length) return [];
    const occurredAt = new Date().toISOString();
    const full = events.map((e) => ({ ...e, id: randomUUID(), occurredAt, producer: this.producer }));
    await tx.execute(
      `insert into "${this.schema}"."outbox" (id, event) select (e->>'id')::uuid, e from jsonb_array_elements(?::jsonb) e`,
      [JSON.stringify(full)],
      'run',
    );
    return full;
  }

  /**
   * Moves up to `limit` committed events to the queue, oldest first. Rows being relayed by another
   * process are skipped (SKIP LOCKED); a crash after enqueueing and before marking leaves rows that
   * the next run enqueues again under the same job ids. Returns how many it relayed.
   */
  async relay(orm: MikroORM, producer: Producer<DomainEvent>, limit = 200): Promise<number> {
    return orm.em.fork().transactional(async (tx) => {
      const rows = (await tx.execute(
        `select id, event from "${this.schema}"."outbox" where relayed_at is null order by created_at limit ? for update skip locked`,
        [limit],
        'all',
      )) as { id: string; event: DomainEvent }[];
      if (!rows.length) return 0;
      await producer.addBulk(rows.map((r) => r.event));
      await tx.execute(`update "${this.schema}"."outbox" set relayed_at = now() where id in (select value::uuid from jsonb_array_elements_text(?::jsonb))`, [JSON.stringify(rows.map((r) => r.id))], 'run');
      return rows.length;
    });
  }

  /** Relayed rows older than `days` are deleted (the queue has long since taken them). */
  async prune(orm: MikroORM, days = 7): Promise<void> {
    await orm.em.getConnection().execute(`delete from "${this.schema}"."outbox" where relayed_at < now() - make_interval(days => ?)`, [days], 'run');
  }

  /** Events not yet relayed (for tests and metrics). */
  async pending(orm: MikroORM): Promise<number> {
    const [row] = (await orm.em.getConnection().execute(`select count(*)::int as n from "${this.schema}"."outbox" where relayed_at is null`, [], 'all')) as { n: number }[];
    return row?.n ?? 0;
  }
}

/**
 * Relays an outbox: at once after a change (`kick`) and every `intervalMs` for anything a crashed
 * process left behind. Every process that opens the service runs one; SKIP LOCKED keeps them apart.
 */
export class OutboxRelay {
  private readonly o: { outbox: Outbox; orm: MikroORM; producer: Producer<DomainEvent>; logger: Logger; intervalMs: number };
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  constructor(opts: OutboxRelay['o']) {
    this.o = opts;
  }

  start(): void {
    this.timer = setInterval(() => this.kick(), this.o.intervalMs);
    this.timer.unref();
    this.kick();
  }

  /** Relays soon; never throws (a failure is logged and retried by the next tick). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          while ((await this.o.outbox.relay(this.o.orm, this.o.producer)) > 0 && !this.stopped);
        } while (this.again && !this.stopped);
      } catch (err) {
        this.o.logger.warn({ err, outbox: this.o.outbox.schema }, 'outbox relay failed; retrying on the next tick');
      } finally {
        this.running = null;
      }
    })();
  }

  /** Waits for the current run (tests use it to see events on the queue). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.idle();
  }
}
