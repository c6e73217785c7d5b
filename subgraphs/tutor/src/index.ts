import { runService } from '@ai-teacher/shared';
import { startTutorSubgraph } from './subgraph.ts';

await runService('tutor', () => startTutorSubgraph());
