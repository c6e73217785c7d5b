import type { QueryResolvers } from '../generated/graphql.ts';

export const Query: QueryResolvers = {
  faculties: (_p, _a, ctx) => ctx.hierarchy.faculties(),
  course: (_p, { id }, ctx) => ctx.hierarchy.course(id),
  myCourses: (_p, _a, ctx) => ctx.memberships.myCourses(),
};
