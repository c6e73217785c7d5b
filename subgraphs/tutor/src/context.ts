import type { SubgraphContext } from '@ai-teacher/shared';
import type { TutorService } from './services/tutor.service.ts';

export interface TutorContext extends SubgraphContext {
  tutor: TutorService;
}
