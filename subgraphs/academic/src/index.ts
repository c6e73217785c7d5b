import { runService } from '@ai-teacher/shared';
import { startAcademicSubgraph } from './subgraph.ts';

await runService('academic', () => startAcademicSubgraph());
