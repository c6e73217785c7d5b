import type { Server } from 'node:http';
import { type ExecutionResult, type GraphQLError, type GraphQLFormattedError, type GraphQLSchema, subscribe as graphqlSubscribe } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { UnauthenticatedError } from '../errors.ts';
import { type ForwardedIdentity, IdentityProofError, type IdentitySigner } from '../identity.ts';
import type { Logger } from '../logger.ts';
import { verifyForwardedExtension } from './identity-middleware.ts';

const CONNECTION_INIT_WAIT_MS = 15_000;
const KEEPALIVE_MS = 30_000;

export interface SubscriptionServer {
  /** Closes every socket, then waits (up to `timeoutMs`) for their streams' clean-up. */
  close(timeoutMs: number): Promise<void>;
}

/**
 * graphql-ws on the subgraph's /graphql path, for the router only: each subscription must carry
 * the router's signed identity headers in its extensions, with a proof for this subgraph and for
 * the subscription's exact query text; without them it is refused.
 */
export function startSubscriptionServer<Context>(opts: {
  httpServer: Server;
  schema: GraphQLSchema;
  signer: IdentitySigner;
  /** This subgraph's name: proofs minted for another subgraph are refused. */
  subgraph: string;
  logger: Logger;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  context: (fwd: ForwardedIdentity) => Context;
}): SubscriptionServer {
  const { signer, logger, formatError } = opts;
  const wss = new WebSocketServer({ server: opts.httpServer, path: '/graphql' });
  const verified = new WeakMap<object, Map<string, ForwardedIdentity>>();
  const streams = new OpenStreams();
  const server = useServer(
    {
      // Only the router connects here, once per subgraph, and lazily: its first subscription
      // arrives in whatever burst made it connect (10,000 students opening an answer), so the
      // handshake may wait behind that burst longer than graphql-ws's 3 s default.
      connectionInitWaitTimeout: CONNECTION_INIT_WAIT_MS,
      schema: opts.schema,
      subscribe: async (args) => streams.track(await graphqlSubscribe(args)),
      onSubscribe: (ctx, id, payload) => {
        try {
          const fwd = verifyForwardedExtension(signer, opts.subgraph, payload.query, payload.extensions);
          const byId = verified.get(ctx) ?? new Map<string, ForwardedIdentity>();
          byId.set(id, fwd);
          verified.set(ctx, byId);
        } catch (err) {
          if (!(err instanceof IdentityProofError)) throw err;
          logger.warn({ reason: err.message }, 'refused subscription with unproven identity');
          return [new UnauthenticatedError(`Subgraphs answer only the router: ${err.message}`)];
        }
      },
      context: (ctx, id) => {
        const fwd = verified.get(ctx)?.get(id);
        // onSubscribe verified every operation (queries over the socket too); nothing runs unproven.
        if (!fwd) throw new UnauthenticatedError('Subgraphs answer only the router: missing identity proof');
        return opts.context(fwd) as Record<string, unknown>;
      },
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: result.errors.map((e) => formatError(e.toJSON(), e)) } : undefined,
      onError: (_ctx, _id, _payload, errors) => errors.map((e: GraphQLError) => formatError(e.toJSON(), e)),
      onComplete: (ctx, id) => void verified.get(ctx)?.delete(id),
    },
    wss,
    // Pings to the router; a router that has not answered one by the next is dropped. The router
    // stops reading while its clients catch up (flow control), so this is generous.
    KEEPALIVE_MS,
  );
  return {
    async close(timeoutMs) {
      // Open subscriptions end (clients resubscribe elsewhere with afterSeq). Closing sockets ends
      // their streams asynchronously: their clean-up may still need Redis and the database.
      await server.dispose();
      await streams.settled(timeoutMs);
    },
  };
}

/**
 * Counts the subscription streams that are open, so that shutdown can wait for them; a stream
 * whose clean-up fails is ended quietly (graphql-ws does not handle that rejection).
 */
class OpenStreams {
  private open = 0;
  private idle: (() => void) | null = null;

  track<T>(result: AsyncGenerator<ExecutionResult, void, void> | ExecutionResult | T): typeof result {
    if (!result || typeof result !== 'object' || !(Symbol.asyncIterator in result)) return result;
    const it = (result as AsyncGenerator<ExecutionResult, void, void>)[Symbol.asyncIterator]();
    this.open++;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      this.open--;
      if (this.open === 0) this.idle?.();
    };
    const wrapped: AsyncGenerator<ExecutionResult, void, void> = {
      [Symbol.asyncIterator]: () => wrapped,
      next: async () => {
        try {
          const r = await it.next();
          if (r.done) finish();
          return r;
        } catch (err) {
          finish();
          throw err;
        }
      },
      return: async () => {
        try {
          await it.return(undefined);
        } catch {
          // the stream's clean-up failed (e.g. during shutdown); it is over either way
        } finally {
          finish();
        }
        return { done: true, value: undefined };
      },
      throw: async (err: unknown) => {
        finish();
        return it.throw(err);
      },
      [Symbol.asyncDispose]: async () => void (await wrapped.return(undefined)),
    };
    return wrapped;
  }

  /** Resolves when no stream is open, or after `timeoutMs`. */
  settled(timeoutMs: number): Promise<void> {
    if (this.open === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.idle = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
