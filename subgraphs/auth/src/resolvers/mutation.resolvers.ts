import type { MutationResolvers } from '../generated/graphql.ts';

export const Mutation: MutationResolvers = {
  register: (_parent, { input }, ctx) => ctx.auth.register(input, ctx.clientIp),
  login: (_parent, { input }, ctx) => ctx.auth.login(input, ctx.clientIp),
  refreshToken: (_parent, { refreshToken }, ctx) => ctx.auth.refresh(refreshToken),
  logout: (_parent, { refreshToken }, ctx) => ctx.auth.logout(refreshToken),
  setUserRole: (_parent, { userId, role }, ctx) => ctx.auth.setUserRole(ctx.identity, userId, role),
};
