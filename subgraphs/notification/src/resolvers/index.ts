import { DateTimeScalar } from '@ai-teacher/shared';
import type { Resolvers } from '../generated/graphql.ts';
import type { NotificationView } from '../services/views.ts';

export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Query: {
    myNotifications: (_p, a, ctx) => ctx.notifications.mine(a.first, a.after, a.unreadOnly),
    myNotificationPreferences: (_p, _a, ctx) => ctx.notifications.preferences(),
  },
  Mutation: {
    markNotificationsRead: (_p, a, ctx) => ctx.notifications.markRead(a.ids),
    setNotificationPreference: (_p, a, ctx) => ctx.notifications.setPreference(a.kind, a.inApp, a.email),
    announce: (_p, a, ctx) => ctx.notifications.announce(a.courseId, a.title, a.body),
  },
  Subscription: {
    notificationAdded: {
      subscribe: (_p, _a, ctx) => ctx.notifications.added(),
      resolve: (n: NotificationView) => n,
    },
  },
  Notification: {
    __resolveReference: (ref, ctx) => ctx.notifications.byId(ref.id),
    course: (n) => (n.courseId ? { id: n.courseId } : null),
  },
};
