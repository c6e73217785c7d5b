import type { Redis } from '@ai-teacher/shared';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import type { MessageView } from './view.ts';

/** One event of a streamed answer, as it travels through Redis. */
export interface StreamEvent {
  messageId: string;
  seq: number;
  delta: string | null;
  done: boolean;
  message: MessageView | null;
  /** When it was published (ms); not part of the API. */
  at: number;
}

/**
 * Streamed answers through Redis: every event is appended to a per-message list (kept
 * TUTOR_STREAM_TTL, for `afterSeq` replay) and published on a per-message channel
 * (graphql-redis-subscriptions), so any tutor replica can serve any subscriber.
 */
export class AnswerStreams {
  private readonly redis: Redis;
  private readonly pubsub: RedisPubSub;
  private readonly channelPrefix: string;
  private readonly ttlSeconds: number;
  private closed = false;

  constructor(opts: { redis: Redis; publisher: Redis; subscriber: Redis; channelPrefix: string; ttlSeconds: number }) {
    this.redis = opts.redis;
    this.channelPrefix = opts.channelPrefix;
    this.ttlSeconds = opts.ttlSeconds;
    this.pubsub = new RedisPubSub({ publisher: opts.publisher, subscriber: opts.subscriber, reviver: reviveDates });
  }

  private channel(messageId: string) {
    return `${this.channelPrefix}tutor-stream:${messageId}`;
  }
  private key(messageId: string) {
    return `tutor-stream:${messageId}`;
  }

  async publish(event: Omit<StreamEvent, 'at'>): Promise<void> {
    const e: StreamEvent = { ...event, at: Date.now() };
    await this.redis.multi().rpush(this.key(e.messageId), JSON.stringify(e)).expire(this.key(e.messageId), this.ttlSeconds).exec();
    await this.pubsub.publish(this.channel(e.messageId), e);
  }

  async replay(messageId: string): Promise<StreamEvent[]> {
    const rows = await this.redis.lrange(this.key(messageId), 0, -1);
    return rows.map((r) => JSON.parse(r, reviveDates) as StreamEvent);
  }

  /** Calls `onEvent` for every event published from now on; resolves once subscribed. */
  async subscribe(messageId: string, onEvent: (e: StreamEvent) => void): Promise<() => void> {
    const id = await this.pubsub.subscribe(this.channel(messageId), onEvent);
    // Subscribers may end after close() (their sockets close during shutdown): the library sends
    // UNSUBSCRIBE without handling its promise, which would reject on a closed connection.
    return () => {
      if (!this.closed) this.pubsub.unsubscribe(id);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.pubsub.close();
  }
}

function reviveDates(key: string, value: unknown): unknown {
  return key === 'createdAt' && typeof value === 'string' ? new Date(value) : value;
}
