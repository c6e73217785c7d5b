import { implement } from '@ai-teacher/shared';
import { examLockRoute } from './contracts.ts';
import type { ExamServices } from './service.ts';

/** The routes other services call (contracts in contracts.ts). */
export const internalRoutes = [implement(examLockRoute, async (input, services: ExamServices) => ({ attempt: await services.locks.running(input.courseId, input.userId) }))];
