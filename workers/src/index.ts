import { createWorkers, runService } from '@ai-teacher/shared';
import { workerDefinitions } from './workers.ts';

await runService('workers', async () => createWorkers(await workerDefinitions()));
