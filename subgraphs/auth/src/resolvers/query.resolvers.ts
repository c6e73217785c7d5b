import type { QueryResolvers } from '../generated/graphql.ts';

export const Query: QueryResolvers = {
  me: (_parent, _args, ctx) => ctx.auth.me(ctx.identity),
};
