import { DateTimeScalar } from '@ai-teacher/shared';
import GraphQLUpload from 'graphql-upload/GraphQLUpload.mjs';
import type { Resolvers } from '../generated/graphql.ts';

export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Upload: GraphQLUpload,
  Query: {
    searchCourseMaterial: (_p, a, ctx) => ctx.retrieval.search(a.courseId, a.query, a.limit),
  },
  Mutation: {
    uploadBookFile: (_p, a, ctx) => ctx.retrieval.upload(a.bookId, a.file),
  },
  Book: {
    __resolveReference: (ref) => ({ id: ref.id }),
    ingestion: async (book, _a, ctx) => ctx.retrieval.ingestionOf(book.id, await ctx.ingestionLoader.load(book.id)),
  },
  BookIngestion: {
    fileSize: (i) => Number(i.fileSize),
  },
};
