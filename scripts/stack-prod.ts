// `npm run stack:prod`: the production topology on this machine, without containers (see
// scripts/lib/prod-stack.ts and README "Production topology on one machine"). Ctrl-C stops it all
// and removes its temporary folder.
import { PROD_ADMIN, startProdStack, type ProdStack } from './lib/prod-stack.ts';

const say = (msg: string) => console.log(`[stack:prod] ${msg}`);
let stack: ProdStack | undefined;
let stopping = false;
const shutdown = async (code: number) => {
  if (stopping) return;
  stopping = true;
  say('stopping…');
  await stack?.stop();
  process.exit(code);
};
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  say('starting Postgres primary + streaming replica, PgBouncer, 2 routers, 2 replicas of each subgraph and of the workers, nginx');
  stack = await startProdStack({ log: say, ...(process.env.LLM_BASE_URL ? { llmBaseUrl: process.env.LLM_BASE_URL } : {}) });
  const s = stack;
  console.log(
    [
      '',
      `  Edge (nginx):   ${s.httpUrl}/graphql   and   ${s.httpsUrl}/graphql (self-signed)`,
      `  Routers:        ${s.routers.map((r) => r.url).join('  ')}   (replica i of each service is in zone i)`,
      ...Object.entries(s.subgraphs).map(([n, ps]) => `  ${n.padEnd(15)} ${ps.map((p) => p.url).join('  ')}  (zones' balancer ports :${s.balancerPorts[n]!.join(', :')})`),
      `  Workers:        ${s.workers.map((w) => w.url).join('  ')}`,
      `  Postgres:       primary ${s.primaryUrl}, replica ${s.replicaUrl}, PgBouncer ${s.pgbouncerUrl}`,
      `  Admin sign-in:  ${PROD_ADMIN.email} / ${PROD_ADMIN.password}`,
      `  Files and logs: ${s.dir}`,
      '  Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
} catch (err) {
  console.error(`[stack:prod] ${(err as Error).message}`);
  await shutdown(1);
}
