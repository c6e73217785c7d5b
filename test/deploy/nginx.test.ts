// nginx/ as docker-compose uses it: the templates rendered the way the nginx image's entrypoint does
// (envsubst over the variables compose sets) give a config nginx accepts, with the TLS server, the
// shared snippets and the re-resolved router upstream. `resolve` needs nginx 1.27.3 or newer: on an
// older local nginx the check runs without that one parameter.
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { repoRoot } from '@ai-teacher/shared';
import { EDGE_TEMPLATE_VARIABLES, renderEdgeConfig, type EdgeValues } from '../../scripts/lib/prod-stack.ts';

const nginx = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => spawnSync(p, ['-v']).status === 0);
const compose = parse(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, { environment?: Record<string, string>; volumes?: string[] }> };
const edgeEnv = compose.services.nginx!.environment!;
const dir = mkdtempSync(join(tmpdir(), 'ait-nginx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function nginxVersion(): [number, number, number] {
  const out = spawnSync(nginx!, ['-v'], { encoding: 'utf8' }).stderr;
  return /nginx\/(\d+)\.(\d+)\.(\d+)/.exec(out)!.slice(1).map(Number) as [number, number, number];
}

describe('nginx/ templates', () => {
  it('use only the variables compose sets for them, and compose sets all of them', () => {
    const used = new Set<string>();
    for (const f of readdirSync(join(repoRoot, 'nginx')).filter((f) => f.endsWith('.template'))) {
      for (const m of readFileSync(join(repoRoot, 'nginx', f), 'utf8').matchAll(/\$\{([A-Z_]+)\}/g)) used.add(m[1]!);
    }
    expect([...used].sort()).toEqual([...EDGE_TEMPLATE_VARIABLES].sort());
    for (const v of EDGE_TEMPLATE_VARIABLES) expect(edgeEnv[v]).toBeTruthy();
    expect(edgeEnv.NGINX_ENVSUBST_OUTPUT_DIR).toBe('/etc/nginx');
    expect(compose.services.nginx!.volumes).toEqual(expect.arrayContaining(['./nginx:/etc/nginx/templates:ro', './nginx/snippets:/etc/nginx/snippets:ro']));
    expect(edgeEnv.ROUTER_SERVERS).toMatch(/^server router:4000 resolve /);
  });

  it('render with envsubst (as the image does) into a config nginx accepts: TLS, HSTS on TLS only, health from the routers', () => {
    const out = join(dir, 'etc-nginx');
    mkdirSync(join(out, 'tls'), { recursive: true });
    // The image: envsubst "$(printf '${%s} ' <defined variables>)" < file.template > file
    const values = Object.fromEntries(EDGE_TEMPLATE_VARIABLES.map((v) => [v, edgeEnv[v]!])) as EdgeValues;
    renderEdgeConfig(out, values);
    for (const f of ['nginx.conf', 'upstreams.conf']) {
      const viaEnvsubst = execFileSync('envsubst', [EDGE_TEMPLATE_VARIABLES.map((v) => `\${${v}}`).join(' ')], { input: readFileSync(join(repoRoot, 'nginx', `${f}.template`)), env: { ...process.env, ...values } }).toString();
      expect(readFileSync(join(out, f), 'utf8')).toBe(viaEnvsubst);
    }
    const conf = readFileSync(join(out, 'nginx.conf'), 'utf8');
    const [http, tls] = conf.split(/\n {2}server \{/).slice(1);
    expect(http).not.toMatch(/Strict-Transport-Security|tls\.conf/);
    expect(tls).toMatch(/listen 8443 ssl;[\s\S]*include snippets\/tls\.conf;[\s\S]*Strict-Transport-Security/);
    expect(readFileSync(join(repoRoot, 'nginx', 'snippets', 'routes.conf'), 'utf8')).toMatch(/location = \/health \{[^}]*proxy_pass http:\/\/router\/ready;/);
    if (!nginx) return; // nginx not installed: the rest needs it
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', join(out, 'tls', 'privkey.pem'), '-out', join(out, 'tls', 'fullchain.pem')], { stdio: 'ignore' });
    // Docker's names do not resolve here; `resolve` is known from 1.27.3 on.
    const [maj, min, patch] = nginxVersion();
    const knowsResolve = maj > 1 || min > 27 || (min === 27 && patch >= 3);
    let upstreams = readFileSync(join(out, 'upstreams.conf'), 'utf8').replace(/server (router|notification):/g, 'server 127.0.0.1:');
    if (!knowsResolve) upstreams = upstreams.replace(/ resolve\b/g, '');
    writeFileSync(join(out, 'upstreams.conf'), upstreams);
    // access_log /dev/stdout: a file here (Node's stdio pipes are sockets, which /dev/stdout cannot open).
    const stdout = openSync(join(dir, 'stdout.log'), 'a');
    const check = spawnSync(nginx, ['-t', '-p', out, '-c', join(out, 'nginx.conf'), '-e', join(dir, 'error.log'), '-g', `pid ${join(dir, 'nginx.pid')};`], { encoding: 'utf8', stdio: ['ignore', stdout, 'pipe'] });
    closeSync(stdout);
    expect(check.stderr).toContain('test is successful');
  });
});
