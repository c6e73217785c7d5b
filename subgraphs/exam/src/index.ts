import { runService } from '@ai-teacher/shared';
import { startExamSubgraph } from './subgraph.ts';

await runService('exam', () => startExamSubgraph());
