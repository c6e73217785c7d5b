// Read-your-writes with a streaming replica (READ_DATABASE_URL). Reads normally go to the replica,
// which lags the primary by a little (milliseconds, more under load). A user who has just changed
// something must see the change on their next request, whichever subgraph or replica serves it.
//
// Chosen: after a mutation, the user's reads go to the primary for READ_YOUR_WRITES_MS (a Redis
// key per user, shared by every subgraph and replica, so a write in academic sends that user's
// reads in retrieval or tutor to the primary too). The alternative — remembering the writer's WAL
// position and comparing it with the replica's `pg_last_wal_replay_lsn()` — is exact but costs a
// query on the replica before every read and an LSN per write; the window costs one Redis EXISTS
// per signed-in request and only sends the few recent writers to the primary. The window must be
// longer than the replica lag; alert on `pg_stat_replication.replay_lag` above it.
import type { ApolloServerPlugin } from '@apollo/server';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { withPrimaryReads } from './db.ts';
import type { Redis } from './redis.ts';

const keyOf = (userId: string) => `ryw:${userId}`;

export interface ReadYourWrites {
  /** Express middleware: the request runs with primary reads when its user wrote recently. */
  middleware: RequestHandler;
  /** Marks the user after a mutation (before the response leaves, so their next request sees it). */
  plugin: ApolloServerPlugin<{ identity: { userId: string } | null }>;
}

export function readYourWrites(redis: Redis, windowMs: number, userOf: (res: Response) => string | undefined): ReadYourWrites {
  return {
    middleware: (_req: Request, res: Response, next: NextFunction) => {
      const userId = userOf(res);
      if (!userId) return next();
      redis.exists(keyOf(userId)).then(
        (n) => (n ? withPrimaryReads(() => next()) : next()),
        // Redis unreachable: we cannot tell, so be correct rather than fast.
        () => withPrimaryReads(() => next()),
      );
    },
    plugin: {
      async requestDidStart() {
        return {
          async willSendResponse({ operation, contextValue }) {
            const userId = contextValue.identity?.userId;
            if (operation?.operation !== 'mutation' || !userId) return;
            await redis.set(keyOf(userId), '1', 'PX', windowMs).catch(() => undefined);
          },
        };
      },
    },
  };
}
