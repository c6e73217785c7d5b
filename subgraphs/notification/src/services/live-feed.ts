import type { Redis } from '@ai-teacher/shared';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import type { NotificationView } from './views.ts';

/**
 * New in-app notifications pushed to their user through Redis pub/sub (one channel per user), so
 * any notification replica can serve a subscriber whatever process delivered the event.
 */
/** Notifications kept for a subscriber that is not reading (older ones are dropped; the feed has them all). */
const BACKLOG_MAX = 1_000;

export class LiveFeed {
  private readonly pubsub: RedisPubSub;
  private readonly prefix: string;
  constructor(opts: { publisher: Redis; subscriber: Redis; channelPrefix: string }) {
    this.prefix = opts.channelPrefix;
    this.pubsub = new RedisPubSub({ publisher: opts.publisher, subscriber: opts.subscriber, reviver: (key, value) => (key === 'createdAt' && typeof value === 'string' ? new Date(value) : value) });
  }

  private channel(userId: string) {
    return `${this.prefix}notifications:${userId}`;
  }

  async publish(userId: string, n: NotificationView): Promise<void> {
    await this.pubsub.publish(this.channel(userId), n);
  }

  /**
   * The user's notifications from now on, as an async iterator whose `return()` (a client that
   * unsubscribes) ends it at once. Resolves once the Redis subscription is in place, so nothing
   * published after that is missed. A client that stops reading keeps only the newest backlog.
   */
  async iterator(userId: string): Promise<AsyncIterableIterator<NotificationView>> {
    const backlog: NotificationView[] = [];
    const waiting: ((r: IteratorResult<NotificationView>) => void)[] = [];
    let open = true;
    const subscription = await this.pubsub.subscribe(this.channel(userId), (n: NotificationView) => {
      const reader = waiting.shift();
      if (reader) reader({ value: n, done: false });
      else if (backlog.push(n) > BACKLOG_MAX) backlog.shift();
    });
    const end = async (): Promise<IteratorResult<NotificationView>> => {
      if (open) {
        open = false;
        this.pubsub.unsubscribe(subscription);
        for (const reader of waiting.splice(0)) reader({ value: undefined, done: true });
        backlog.length = 0;
      }
      return { value: undefined, done: true };
    };
    const it: AsyncIterableIterator<NotificationView> = {
      next: () => {
        if (!open) return Promise.resolve({ value: undefined, done: true });
        const n = backlog.shift();
        return n ? Promise.resolve({ value: n, done: false }) : new Promise((resolve) => waiting.push(resolve));
      },
      return: end,
      throw: async (err: unknown) => {
        await end();
        throw err;
      },
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }

  async close(): Promise<void> {
    await this.pubsub.close();
  }
}
