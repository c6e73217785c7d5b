import { expect, it } from '@jest/globals';
import { createLogger } from './logger.ts';
import { runInScope } from './request-context.ts';

it('stamps every line written during a request with its request id, and redacts secrets', async () => {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('svc', 'info', { write: (s: string) => lines.push(JSON.parse(s)) });
  await runInScope({ requestId: 'req-42', userId: 'u-7' }, async () => {
    await new Promise((r) => setTimeout(r, 5));
    logger.info({ input: { email: 'a@b.c', password: 'hunter2hunter2' } }, 'inside');
  });
  logger.info('outside');
  expect(lines[0]).toMatchObject({ service: 'svc', requestId: 'req-42', userId: 'u-7', msg: 'inside', input: { password: '[redacted]' } });
  expect(lines[1]!.requestId).toBeUndefined();
});
