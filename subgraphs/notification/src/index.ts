import { runService } from '@ai-teacher/shared';
import { startNotificationSubgraph } from './subgraph.ts';

await runService('notification', () => startNotificationSubgraph());
