import type { Resolvers } from '../generated/graphql.ts';
import { Mutation } from './mutation.resolvers.ts';
import { Query } from './query.resolvers.ts';
import { Book, Course, Department, Faculty, Semester, User } from './types.resolvers.ts';

export const resolvers: Resolvers = { Query, Mutation, Faculty, Department, Semester, Course, Book, User };
