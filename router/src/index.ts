import { runService } from '@ai-teacher/shared';
import { startRouter } from './router.ts';

await runService('router', () => startRouter());
