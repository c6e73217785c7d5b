import type { SubgraphContext } from '@ai-teacher/shared';
import type { NotificationService } from './services/notification.service.ts';

export interface NotificationContext extends SubgraphContext {
  notifications: NotificationService;
}
