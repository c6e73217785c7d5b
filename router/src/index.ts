import { runService } from '@ai-teacher/shared/core';
import { startRouter } from './router.ts';

await runService('router', () => startRouter());
