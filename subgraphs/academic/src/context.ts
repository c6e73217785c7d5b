import type { SubgraphContext } from '@ai-teacher/shared';
import type { AcademicService } from './services/academic.service.ts';
import type { ImportService } from './services/import.service.ts';

export interface AcademicContext extends SubgraphContext {
  academic: AcademicService;
  imports: ImportService;
}
