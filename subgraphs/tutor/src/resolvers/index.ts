import { DateTimeScalar } from '@ai-teacher/shared';
import type { StreamEvent } from '../generation/stream.ts';
import type { Resolvers } from '../generated/graphql.ts';

export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Query: {
    chatSession: (_p, a, ctx) => ctx.tutor.session(a.id),
    myChatSessions: (_p, a, ctx) => ctx.tutor.mySessions(a.courseId),
  },
  Mutation: {
    startChatSession: (_p, a, ctx) => ctx.tutor.startSession(a.courseId, a.title),
    askTutor: (_p, a, ctx) => ctx.tutor.ask(a.sessionId, a.question, a.mode),
  },
  Subscription: {
    tutorAnswer: {
      subscribe: (_p, a, ctx) => ctx.tutor.stream(a.messageId, a.afterSeq),
      resolve: (event: StreamEvent) => event,
    },
  },
  ChatSession: {
    __resolveReference: (ref, ctx) => ctx.tutor.session(ref.id),
    course: (s) => ({ id: s.courseId }),
    messages: (s, _a, ctx) => ctx.tutor.messagesOf(s),
  },
  Citation: {
    book: (c) => ({ id: c.bookId }),
  },
};
