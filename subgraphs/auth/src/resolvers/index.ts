import { DateTimeScalar } from '@ai-teacher/shared';
import type { Resolvers } from '../generated/graphql.ts';
import { Mutation } from './mutation.resolvers.ts';
import { Query } from './query.resolvers.ts';
import { User } from './user.resolvers.ts';

export const resolvers: Resolvers = { DateTime: DateTimeScalar, Query, Mutation, User };
