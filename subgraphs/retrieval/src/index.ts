import { runService } from '@ai-teacher/shared';
import { startRetrievalSubgraph } from './subgraph.ts';

await runService('retrieval', () => startRetrievalSubgraph());
