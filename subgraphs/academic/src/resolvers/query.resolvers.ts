import type { QueryResolvers } from '../generated/graphql.ts';

export const Query: QueryResolvers = {
  faculties: (_p, _a, ctx) => ctx.academic.faculties(),
  course: (_p, { id }, ctx) => ctx.academic.course(id),
  myCourses: (_p, _a, ctx) => ctx.academic.myCourses(),
};
