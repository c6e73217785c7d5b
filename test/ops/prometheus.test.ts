// The shipped Prometheus and Grafana files against the real Prometheus (Debian's `prometheus` and
// `promtool`): the config and rules pass promtool; then a real test stack (every subgraph, the
// workers and the router) is scraped by a real Prometheus with the same rule files, a little traffic
// is driven through the router, and every dashboard expression and every rule is evaluated through
// Prometheus's HTTP API.
//
// What "works" means for each expression:
// - dashboard expressions and recording rules: the query parses and returns at least one series
//   (a NaN value counts: a quantile over no observations is still a series);
// - alerts are normally silent, so an empty result proves nothing. Each alert expression is split at
//   its top-level `and` / `or` / `unless`, the threshold comparison (`> 0.05`, `== 0`, …) is taken off
//   each operand, and every operand must return at least one series; the whole expression must parse;
// - every rule group evaluates without error (`/api/v1/rules`: health "ok").
// Without the binaries the suite is skipped with a message, except in CI (CI set), where it fails:
// .ci/run installs them.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { accessSync, constants, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { repoRoot } from '@ai-teacher/shared';
import { freePort, tempDir } from '@ai-teacher/shared/testing';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { uploadBook } from '../support/course.ts';
import { ADMIN, login, registerUser, type Session, startStack, type Stack } from '../support/stack.ts';

const OPS = join(repoRoot, 'ops');
const RULES_DIR = join(OPS, 'prometheus', 'rules');
const DASHBOARD = join(OPS, 'grafana', 'dashboards', 'ai-teacher.json');

function onPath(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter).concat(['/usr/bin', '/usr/local/bin'])) {
    const file = join(dir, binary);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // next
    }
  }
  return undefined;
}

const prometheusBin = onPath('prometheus');
const promtoolBin = onPath('promtool');
const missing = !prometheusBin || !promtoolBin;
const inCi = Boolean(process.env.CI);
if (missing && !inCi) {
  console.warn('test/ops/prometheus.test.ts skipped: the prometheus and promtool binaries are not installed (apt-get install prometheus); in CI this fails');
}
const suite = missing && !inCi ? describe.skip : describe;

interface PromResult {
  metric: Record<string, string>;
  value: [number, string];
}
interface Rule {
  name: string;
  type: 'recording' | 'alerting';
  query: string;
  health: string;
  lastError?: string;
}

const rulesFiles = () => readdirSync(RULES_DIR).filter((f) => f.endsWith('.yml')).map((f) => join(RULES_DIR, f));

interface RuleDoc {
  groups: { name: string; rules: { record?: string; alert?: string; expr: string }[] }[];
}
const ruleDocs = () => rulesFiles().map((f) => parseYaml(readFileSync(f, 'utf8')) as RuleDoc);

interface Dashboard {
  uid: string;
  panels: { type: string; title: string; datasource?: { uid: string }; targets?: { expr: string; datasource?: { uid: string } }[] }[];
}
const dashboard = () => JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;

/** Grafana's built-in interval variables, as Grafana would fill them in for a short range. */
const withGrafanaVariables = (expr: string) => expr.replaceAll('$__rate_interval', '1m').replaceAll('$__interval', '15s').replaceAll('$__range', '5m');

/** An expression split at its top-level set operators (and, or, unless), outside (), {} and strings. */
function setOperands(expr: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') quote = c;
    else if ('({['.includes(c)) depth++;
    else if (')}]'.includes(c)) depth--;
    else if (depth === 0) {
      const m = /^\s(and|or|unless)\s/.exec(expr.slice(i));
      if (m) {
        parts.push(expr.slice(start, i));
        i += m[0].length - 1;
        start = i + 1;
      }
    }
  }
  parts.push(expr.slice(start));
  return parts.map((p) => p.trim()).filter(Boolean);
}

/** An alert operand without its threshold: `x > 0.05` → `x`. */
const withoutThreshold = (operand: string) => operand.replace(/\s*(==|!=|>=|<=|>|<)\s*(bool\s+)?-?[0-9.]+(e[+-]?[0-9]+)?\s*$/i, '').trim();

suite('Prometheus and Grafana files (real prometheus)', () => {
  describe('static checks', () => {
    it('promtool accepts the compose config (with its rule files) and every rules file', () => {
      const config = execFileSync(promtoolBin!, ['check', 'config', join(OPS, 'prometheus', 'prometheus.yml')], { encoding: 'utf8' });
      expect(config).toMatch(/SUCCESS/);
      const rules = execFileSync(promtoolBin!, ['check', 'rules', ...rulesFiles()], { encoding: 'utf8' });
      expect(rules).not.toMatch(/FAILED/);
    });

    it('finds every scaled replica through compose DNS: the router, each subgraph of supergraph.yaml, the workers', () => {
      const config = parseYaml(readFileSync(join(OPS, 'prometheus', 'prometheus.yml'), 'utf8')) as { scrape_configs: { job_name: string; dns_sd_configs?: { names: string[]; type: string; port: number }[] }[] };
      const sd = Object.fromEntries(config.scrape_configs.filter((c) => c.dns_sd_configs).map((c) => [c.job_name, c.dns_sd_configs![0]!]));
      const supergraph = parseYaml(readFileSync(join(repoRoot, 'supergraph.yaml'), 'utf8')) as { subgraphs: Record<string, { routing_url: string }> };
      for (const [name, sg] of Object.entries(supergraph.subgraphs)) {
        expect(sd[name]).toEqual({ names: [name], type: 'A', port: Number(new URL(sg.routing_url).port), refresh_interval: '30s' });
      }
      expect(sd.router).toMatchObject({ names: ['router'], type: 'A', port: 9464 });
      expect(sd.workers).toMatchObject({ names: ['workers'], type: 'A', port: 4010 });
    });

    it('the Grafana provisioning points at Prometheus and at the dashboard folder; every panel queries that datasource', () => {
      const ds = parseYaml(readFileSync(join(OPS, 'grafana', 'provisioning', 'datasources', 'prometheus.yml'), 'utf8')) as { datasources: { uid: string; type: string; url: string }[] };
      expect(ds.datasources).toEqual([expect.objectContaining({ uid: 'prometheus', type: 'prometheus', url: 'http://prometheus:9090' })]);
      const providers = parseYaml(readFileSync(join(OPS, 'grafana', 'provisioning', 'dashboards', 'ai-teacher.yml'), 'utf8')) as { providers: { options: { path: string } }[] };
      expect(providers.providers[0]!.options.path).toBe('/var/lib/grafana/dashboards');
      const panels = dashboard().panels.filter((p) => p.type !== 'row');
      expect(panels.length).toBeGreaterThan(10);
      for (const p of panels) {
        expect(p.datasource?.uid).toBe('prometheus');
        expect(p.targets?.length).toBeGreaterThan(0);
      }
    });

    it('splits alert expressions into operands and takes thresholds off', () => {
      expect(setOperands('a{x="b and c"} > 0.05 and rate(y[5m]) > 1 or z == 0').map(withoutThreshold)).toEqual(['a{x="b and c"}', 'rate(y[5m])', 'z']);
      expect(setOperands('sum by (q) (x{s=~"a|b"}) > 100').map(withoutThreshold)).toEqual(['sum by (q) (x{s=~"a|b"})']);
    });
  });

  describe('a real Prometheus scraping a real test stack', () => {
    let stack: Stack;
    let prometheus: ChildProcess | undefined;
    let promUrl: string;
    const dir = tempDir('ait-prom-');
    let promLog = '';

    async function api<T>(path: string, params: Record<string, string> = {}): Promise<T> {
      const res = await fetch(`${promUrl}${path}?${new URLSearchParams(params)}`);
      const body = (await res.json()) as { status: string; data: T; error?: string };
      if (body.status !== 'success') throw new Error(`${path} ${JSON.stringify(params)}: ${body.error}`);
      return body.data;
    }
    const query = async (expr: string) => (await api<{ resultType: string; result: PromResult[] }>('/api/v1/query', { query: expr })).result;

    /** Polls until `check` returns nothing left to wait for, or fails with what is still missing. */
    async function until(what: string, check: () => Promise<string[]>, timeoutMs = 90_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      let left: string[] = [];
      while (Date.now() < deadline) {
        left = await check();
        if (!left.length) return;
        await new Promise((r) => setTimeout(r, 500));
      }
      throw new Error(`${what}: still waiting for\n  ${left.join('\n  ')}\nprometheus log:\n${promLog.slice(-2000)}`);
    }

    beforeAll(async () => {
      // A smaller COST_MAX so one query below is refused for cost (graphql_operations_rejected_total).
      stack = await startStack({ routerEnv: { COST_MAX: '40000' } });
      const port = await freePort();
      promUrl = `http://127.0.0.1:${port}`;
      const hostPort = (url: string) => new URL(url).host;
      const targets: Record<string, string> = {
        prometheus: `127.0.0.1:${port}`,
        router: hostPort(stack.router.metricsUrl),
        workers: hostPort(stack.workers.url),
        ...Object.fromEntries(Object.entries(stack.subgraphs).map(([name, sg]) => [name, hostPort(sg.url)])),
      };
      // The shipped config with the stack's ports in place of compose DNS, and short intervals.
      const shipped = parseYaml(readFileSync(join(OPS, 'prometheus', 'prometheus.yml'), 'utf8')) as { global: Record<string, unknown>; scrape_configs: { job_name: string }[] };
      const config = {
        global: { ...shipped.global, scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
        rule_files: [join(RULES_DIR, '*.yml')],
        scrape_configs: shipped.scrape_configs.map((c) => {
          if (!targets[c.job_name]) throw new Error(`no test target for scrape job ${c.job_name}`);
          return { job_name: c.job_name, static_configs: [{ targets: [targets[c.job_name]] }] };
        }),
      };
      expect(Object.keys(targets).sort()).toEqual(config.scrape_configs.map((c) => c.job_name).sort());
      writeFileSync(join(dir.path, 'prometheus.yml'), toYaml(config));
      prometheus = spawn(
        prometheusBin!,
        [`--config.file=${join(dir.path, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir.path, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      prometheus.stdout!.on('data', (d: Buffer) => (promLog += d.toString()));
      prometheus.stderr!.on('data', (d: Buffer) => (promLog += d.toString()));
      await until('prometheus ready', async () => ((await fetch(`${promUrl}/-/ready`).then((r) => r.ok, () => false)) ? [] : ['/-/ready']), 30_000);
    }, 120_000);

    afterAll(async () => {
      if (prometheus && prometheus.exitCode === null) {
        prometheus.kill('SIGTERM');
        await new Promise((r) => prometheus!.once('exit', r));
      }
      await stack?.stop();
      dir.remove();
    }, 60_000);

    it('drives a little traffic through the router: queries, mutations, an error, a cost refusal, an upload, a tutor answer', async () => {
      const admin: Session = (await login(stack, ADMIN.email, ADMIN.password)).data!.login;
      const run = async (q: string, v: Record<string, unknown> = {}, token = admin.accessToken) => {
        const r = await stack.query(q, v, token);
        if (r.errors) throw new Error(JSON.stringify(r.errors));
        return r.data!;
      };
      expect((await login(stack, ADMIN.email, 'not the password')).errors).toBeDefined();
      await run(`query Me { me { id email } }`);
      await run(`mutation Import($d: String!) { importAcademicData(format: JSON, document: $d) { applied } }`, {
        d: JSON.stringify({ faculties: [{ name: 'Engineering', departments: [{ name: 'CS', semesters: [{ name: 'Fall', courses: [{ code: 'OPS1', title: 'Operations' }] }] }] }] }),
      });
      const tree = await run(`query Courses { faculties { departments { semesters { courses { id code } } } } }`);
      const course = tree.faculties[0].departments[0].semesters[0].courses[0].id as string;
      // Twice the course tree (2 × 31,110) > COST_MAX 40,000: refused before any subgraph is called.
      const tooBig = `query TooBig { a: faculties { departments { semesters { courses { code } } } } b: faculties { departments { semesters { courses { code } } } } }`;
      const refused = await stack.query(tooBig, {}, admin.accessToken);
      expect(refused.errors?.[0]?.extensions?.code).toBe('COST_LIMIT_EXCEEDED');
      // An upload the worker cannot read: an ingest-book job runs (and fails for good).
      const book = (await run(`mutation Book($c: ID!) { createBook(courseId: $c, title: "Ops", authors: ["Ops"]) { id } }`, { c: course })).createBook.id as string;
      await uploadBook(stack, book, readFileSync(join(repoRoot, '..', 'shared', 'data', 'bad-inputs', 'truncated.pdf')), 'truncated.pdf', admin.accessToken);
      // A student asks the tutor (no material yet: the extractive tutor says so, streaming as usual).
      const student = await registerUser(stack);
      await run(`mutation Enroll($c: ID!, $u: ID!) { enrollStudent(courseId: $c, userId: $u) { id } }`, { c: course, u: student.user.id });
      const session = (await run(`mutation Start($c: ID!) { startChatSession(courseId: $c, title: "Ops") { id } }`, { c: course }, student.accessToken)).startChatSession.id as string;
      await run(`mutation Ask($s: ID!, $q: String!) { askTutor(sessionId: $s, question: $q) { id status } }`, { s: session, q: 'What does a histogram measure?' }, student.accessToken);
    }, 60_000);

    it('scrapes every target (router, six subgraphs, workers, itself) and they are all up', async () => {
      await until('every target up', async () => {
        const { activeTargets } = await api<{ activeTargets: { labels: { job: string }; health: string; lastError: string }[] }>('/api/v1/targets');
        const jobs = new Set(activeTargets.map((t) => t.labels.job));
        const expected = ['prometheus', 'router', 'workers', ...Object.keys(stack.subgraphs)];
        return [...expected.filter((j) => !jobs.has(j)).map((j) => `${j}: no target`), ...activeTargets.filter((t) => t.health !== 'up').map((t) => `${t.labels.job}: ${t.health} ${t.lastError}`)];
      }, 30_000);
      const up = await query('up');
      expect(up.map((r) => r.metric.job).sort()).toEqual(['prometheus', 'router', 'workers', ...Object.keys(stack.subgraphs)].sort());
      expect(up.every((r) => r.value[1] === '1')).toBe(true);
    }, 40_000);

    it('every rule group evaluates without errors', async () => {
      const expected = ruleDocs().flatMap((d) => d.groups.flatMap((g) => g.rules.map((r) => r.record ?? r.alert!)));
      await until('rules evaluated', async () => {
        const { groups } = await api<{ groups: { rules: Rule[] }[] }>('/api/v1/rules');
        const rules = groups.flatMap((g) => g.rules);
        const names = new Set(rules.map((r) => r.name));
        return [...expected.filter((n) => !names.has(n)).map((n) => `${n}: not loaded`), ...rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`)];
      }, 30_000);
    }, 40_000);

    it('every dashboard expression, recording rule and alert operand returns series', async () => {
      const checks: { what: string; expr: string }[] = [];
      for (const p of dashboard().panels) for (const t of p.targets ?? []) checks.push({ what: `panel "${p.title}"`, expr: withGrafanaVariables(t.expr) });
      for (const doc of ruleDocs()) {
        for (const g of doc.groups) {
          for (const r of g.rules) {
            if (r.record) {
              checks.push({ what: `record ${r.record} (expr)`, expr: r.expr });
              checks.push({ what: `record ${r.record} (stored)`, expr: r.record });
            } else {
              for (const operand of setOperands(r.expr)) checks.push({ what: `alert ${r.alert} operand`, expr: withoutThreshold(operand) });
            }
          }
        }
      }
      // Whole alert expressions must parse (they are usually empty: nothing is wrong).
      for (const doc of ruleDocs()) for (const g of doc.groups) for (const r of g.rules) if (r.alert) await query(r.expr);
      // Rates need two scrapes inside their window, the tutor's answer and the failed job take a moment.
      await until('series for every expression', async () => {
        const empty: string[] = [];
        for (const c of checks) if (!(await query(c.expr)).length) empty.push(`${c.what}: ${c.expr.replace(/\s+/g, ' ')}`);
        return empty;
      }, 90_000);
      expect(checks.length).toBeGreaterThan(50);
    }, 120_000);

    it('reports what the issue asks for: per-subgraph fetches, queue depth, failures, pool and Redis saturation', async () => {
      const labels = async (expr: string, label: string) => new Set((await query(expr)).map((r) => r.metric[label]));
      expect([...(await labels('subgraph_fetch_duration_seconds_count{outcome="ok"} > 0', 'subgraph'))]).toEqual(expect.arrayContaining(['auth', 'academic', 'retrieval', 'tutor']));
      expect([...(await labels('job_duration_seconds_count', 'queue'))]).toEqual(expect.arrayContaining(['ingest-book', 'generate-exam', 'notify']));
      expect([...(await labels('queue_jobs{queue="ingest-book"}', 'state'))]).toEqual(expect.arrayContaining(['waiting', 'active', 'delayed', 'failed']));
      await until('the ingest-book job failed for good', async () => ((await query('jobs_total{queue="ingest-book",outcome="failed"} > 0')).length ? [] : ['jobs_total{queue="ingest-book",outcome="failed"}']), 30_000);
      expect([...(await labels('db_pool_max_clients', 'job'))].sort()).toEqual(['workers', ...Object.keys(stack.subgraphs)].sort());
      expect((await query('min(redis_up)'))[0]!.value[1]).toBe('1');
      expect([...(await labels('redis_up', 'job'))].sort()).toEqual(['router', 'workers', ...Object.keys(stack.subgraphs)].sort());
      expect((await query('sum(graphql_operations_rejected_total{reason="cost"})'))[0]!.value[1]).toBe('1');
      expect(Number((await query('sum(tutor_answers_total)'))[0]!.value[1])).toBeGreaterThan(0);
    }, 40_000);
  });
});
