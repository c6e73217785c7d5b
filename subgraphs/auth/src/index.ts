import { runService } from '@ai-teacher/shared';
import { startAuthSubgraph } from './subgraph.ts';

await runService('auth', () => startAuthSubgraph());
