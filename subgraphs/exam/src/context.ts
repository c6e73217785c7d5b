import type { SubgraphContext } from '@ai-teacher/shared';
import type { ExamService } from './services/exam.service.ts';

export interface ExamContext extends SubgraphContext {
  exams: ExamService;
}
