// `npm run bench:router`: throughput, latency and CPU per request of `{ me { id email } }` through the
// router with its protections (operation limits, query cost, rate limits in Redis), through a second
// router with them off (ROUTER_PROTECTION=off), and sent straight to the auth subgraph (with a
// router-signed identity). Prints what protection costs per request.
import autocannon from 'autocannon';
import { IdentitySigner } from '@ai-teacher/shared';
import { gql } from '@ai-teacher/shared/testing';
import { startBenchStack } from './lib.ts';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const ME = '{ me { id email } }';
const QUERY = JSON.stringify({ query: ME });

/** A process's CPU seconds so far, from its Prometheus metrics. */
async function cpuSeconds(metricsUrl: string | undefined): Promise<number> {
  if (!metricsUrl) return NaN;
  const text = await (await fetch(metricsUrl)).text();
  const line = text.split('\n').find((l) => l.startsWith('process_cpu_seconds_total'));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
}

interface Result {
  title: string;
  rps: number;
  p50: number;
  p99: number;
  total: number;
  cpuMsPerRequest: number;
}

async function load(title: string, url: string, headers: Record<string, string>, metricsUrl?: string): Promise<Result> {
  const opts = { url, method: 'POST' as const, body: QUERY, headers: { 'content-type': 'application/json', ...headers }, connections: CONNECTIONS };
  await autocannon({ ...opts, duration: 2 }); // warm-up: JIT, connection pools, caches
  const cpuBefore = await cpuSeconds(metricsUrl);
  const r = await autocannon({ ...opts, duration: DURATION });
  const cpu = (await cpuSeconds(metricsUrl)) - cpuBefore;
  if (r.non2xx || r.errors) throw new Error(`${title}: ${r.non2xx} non-2xx responses, ${r.errors} errors`);
  return { title, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, total: r.requests.total, cpuMsPerRequest: (cpu * 1000) / r.requests.total };
}

/** Rounds of one path averaged (the paths alternate, so drift on the machine hits each alike). */
function mean(results: Result[]): Result {
  const avg = (f: (r: Result) => number) => results.reduce((s, r) => s + f(r), 0) / results.length;
  return { title: results[0]!.title, rps: avg((r) => r.rps), p50: avg((r) => r.p50), p99: avg((r) => r.p99), total: avg((r) => r.total), cpuMsPerRequest: avg((r) => r.cpuMsPerRequest) };
}

// The protected router charges every request to the user's budget in Redis; the budget is large
// enough that the benchmark is never refused.
const stack = await startBenchStack({ RATE_LIMIT_USER_COST: '1000000000' });
try {
  const reg = await gql(stack.routerUrl, 'mutation($i: RegisterInput!) { register(input: $i) { accessToken user { id } } }', {
    i: { email: 'load.tester@uni.test', password: 'measure twice, cut once', displayName: 'Bench' },
  });
  if (!reg.data) throw new Error(`register failed: ${JSON.stringify(reg.errors)}`);
  const { accessToken, user } = reg.data.register as { accessToken: string; user: { id: string } };
  const auth = { authorization: `Bearer ${accessToken}` };
  const protectedMetrics = `http://127.0.0.1:${stack.ports.routerMetrics}/metrics`;
  const bare = await stack.startRouter({ ROUTER_PROTECTION: 'off' });

  const on: Result[] = [];
  const off: Result[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    on.push(await load('router, protected', stack.routerUrl, auth, protectedMetrics));
    off.push(await load('router, unprotected', bare.url, auth, bare.metricsUrl));
  }
  // The proof (for auth and this query) is valid for 60 s, longer than one measurement.
  const proof = new IdentitySigner(stack.secret).headers({ identity: { userId: user.id, role: 'STUDENT' }, requestId: 'bench', clientIp: '127.0.0.1' }, { subgraph: 'auth', query: ME });
  const direct = await load('straight to auth', `http://127.0.0.1:${stack.ports.auth}/graphql`, proof);
  const [withProtection, without] = [mean(on), mean(off)];

  console.log(`\n{ me { id email } } — ${CONNECTIONS} connections, ${DURATION} s × ${ROUNDS} rounds per router, NODE_ENV=production, ${process.version}\n`);
  console.log('path                 | req/s    | p50 ms | p99 ms | requests | router CPU ms/req');
  console.log('---------------------|----------|--------|--------|----------|------------------');
  for (const r of [withProtection, without, direct]) {
    const cpu = Number.isNaN(r.cpuMsPerRequest) ? '-' : r.cpuMsPerRequest.toFixed(3);
    console.log(`${r.title.padEnd(20)} | ${r.rps.toFixed(0).padStart(8)} | ${r.p50.toFixed(1).padStart(6)} | ${r.p99.toFixed(1).padStart(6)} | ${r.total.toFixed(0).padStart(8)} | ${cpu.padStart(8)}`);
  }
  const share = (withProtection.cpuMsPerRequest - without.cpuMsPerRequest) / withProtection.cpuMsPerRequest;
  console.log(`\nprotection: ${(share * 100).toFixed(1)} % of the protected router's CPU per request (target < 10 %); throughput ${(withProtection.rps / without.rps).toFixed(2)}× the unprotected router's`);
  console.log(`router / direct throughput: ${(withProtection.rps / direct.rps).toFixed(2)}   p50 latency ratio: ${(withProtection.p50 / Math.max(direct.p50, 1)).toFixed(2)}`);
} finally {
  await stack.stop();
}
