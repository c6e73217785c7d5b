import type { UserResolvers } from '../generated/graphql.ts';

export const User: UserResolvers = {
  __resolveReference: (ref, ctx) => ctx.userLoader.load(ref.id),
};
