// `npm run bench:router`: throughput and latency of `{ me { id email } }` through the router and
// sent straight to the auth subgraph (with a router-signed identity), and the router's overhead.
import autocannon from 'autocannon';
import { IdentitySigner } from '@ai-teacher/shared';
import { gql } from '@ai-teacher/shared/testing';
import { startBenchStack } from './lib.ts';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const QUERY = JSON.stringify({ query: '{ me { id email } }' });

async function load(title: string, url: string, headers: Record<string, string>) {
  const opts = { url, method: 'POST' as const, body: QUERY, headers: { 'content-type': 'application/json', ...headers }, connections: CONNECTIONS };
  await autocannon({ ...opts, duration: 2 }); // warm-up: JIT, connection pools, caches
  const r = await autocannon({ ...opts, duration: DURATION });
  if (r.non2xx || r.errors) throw new Error(`${title}: ${r.non2xx} non-2xx responses, ${r.errors} errors`);
  return { title, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, total: r.requests.total };
}

const stack = await startBenchStack();
try {
  const reg = await gql(stack.routerUrl, 'mutation($i: RegisterInput!) { register(input: $i) { accessToken user { id } } }', {
    i: { email: 'load.tester@uni.test', password: 'measure twice, cut once', displayName: 'Bench' },
  });
  if (!reg.data) throw new Error(`register failed: ${JSON.stringify(reg.errors)}`);
  const { accessToken, user } = reg.data.register as { accessToken: string; user: { id: string } };

  const viaRouter = await load('through the router', stack.routerUrl, { authorization: `Bearer ${accessToken}` });
  // The proof is valid for 60 s, longer than one measurement.
  const proof = await new IdentitySigner(stack.secret).headers({ identity: { userId: user.id, role: 'STUDENT' }, requestId: 'bench', clientIp: '127.0.0.1' });
  const direct = await load('straight to auth', `http://127.0.0.1:${stack.ports.auth}/graphql`, proof);

  console.log(`\n{ me { id email } } — ${CONNECTIONS} connections, ${DURATION} s each, NODE_ENV=production, ${process.version}\n`);
  console.log('path                 | req/s    | p50 ms | p99 ms | requests');
  console.log('---------------------|----------|--------|--------|---------');
  for (const r of [viaRouter, direct]) {
    console.log(`${r.title.padEnd(20)} | ${r.rps.toFixed(0).padStart(8)} | ${String(r.p50).padStart(6)} | ${String(r.p99).padStart(6)} | ${r.total}`);
  }
  console.log(`\nrouter / direct throughput: ${(viaRouter.rps / direct.rps).toFixed(2)}   p50 latency ratio: ${(viaRouter.p50 / Math.max(direct.p50, 1)).toFixed(2)}`);
} finally {
  await stack.stop();
}
