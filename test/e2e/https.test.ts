// The HTTPS path on the real testbed: the ingress is the stand-in traefik (testbed/recipes/traefik)
// with a wildcard certificate of the testbed's CA, which the lane's config trusts through
// swarm.ingressCa. A health path that redirects to HTTPS never passes; the plain-HTTP entrypoint and
// a config that does not trust the CA are errors that say what to change; a deployed app asks for
// no ACME certificate (the first cc-ci's finding A1), and the stand-in would have said so.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { FixtureRepo } from '../../testbed/fixtures/make-recipes.js';
import { configWith, fixtures, lane, leftovers, runCli, startCli, testStacks, waitFor } from './helpers.js';

const TRAEFIK_SERVICE = 'traefik_ci_test_app';
const CA = '/var/lib/cc-ci-testbed/tls/ca.pem';
const ABRA_SERVERS = '/var/lib/cc-ci-testbed/abra/servers/default';

let repos: Record<string, FixtureRepo>;
beforeAll(async () => {
  repos = await fixtures(['custom-html', 'redirect-app']);
});

function repo(name: string): FixtureRepo {
  const r = repos[name];
  if (!r) throw new Error(`no fixture ${name}`);
  return r;
}

/** The lane's config with a 10 s health check for `recipe` and the swarm section changed by `edit`. */
function configFor(recipe: string, edit: (swarm: Record<string, unknown>) => void = () => undefined): string {
  const specs = mkdtempSync('/tmp/cc-ci-specs-');
  mkdirSync(join(specs, recipe));
  writeFileSync(join(specs, recipe, 'ci.yml'), 'health: {path: /, timeout: 10s}\n');
  const file = configWith({ recipesDir: specs });
  const doc = parse(readFileSync(file, 'utf8'));
  edit(doc.swarm);
  writeFileSync(file, stringify(doc));
  return file;
}

async function quickRun(recipe: string, config: string) {
  const r = await runCli([
    'run',
    recipe,
    '--repo',
    repo(recipe).url,
    '--ref',
    'main',
    '--quick',
    '--json',
    '--config',
    config,
  ]);
  const install = r.results?.stages.find((s) => s.name === 'install');
  return { r, install, health: install?.checks.find((c) => c.name === 'health GET /') };
}

/** The stand-in traefik's log lines since `since` (ISO time). */
async function traefikLog(since: string): Promise<string[]> {
  const r = await execa('docker', ['service', 'logs', '--raw', '--since', since, TRAEFIK_SERVICE]);
  return `${r.stdout}\n${r.stderr}`.split('\n').filter(Boolean);
}

describe('the ingress over HTTPS', () => {
  it('a health path that redirects to HTTPS fails the install, saying the app redirected', async () => {
    const { r, install, health } = await quickRun('redirect-app', configFor('redirect-app'));
    expect(r.exitCode, r.stderr).toBe(1);
    expect(install?.status).toBe('fail');
    expect(install?.checks.find((c) => c.name === 'converged')?.status).toBe('pass');
    expect(health).toMatchObject({ status: 'fail', code: 'CHECK_FAILED' });
    expect(health?.detail).toMatch(/answered 301 redirecting to https:\/\/.*: the app redirected to HTTPS/);
    expect(await leftovers(r.results!.apps[0]!.stack)).toEqual([]);
  });

  it('through the plain-HTTP entrypoint (which redirects every request) the check is an error: use https', async () => {
    const config = configFor('custom-html', (swarm) => {
      swarm.ingress = 'http://127.0.0.1:8480';
    });
    const { r, install, health } = await quickRun('custom-html', config);
    expect(r.exitCode, r.stderr).toBe(3);
    expect(install?.status).toBe('error');
    expect(health).toMatchObject({ status: 'error', code: 'INGRESS_FAILED' });
    expect(health?.detail).toMatch(/the app redirected to HTTPS.*set it to the ingress's https:\/\/ address/);
    expect(await leftovers(r.results!.apps[0]!.stack)).toEqual([]);
  });

  it('without swarm.ingressCa the certificate is refused: an error naming the setting, never a pass', async () => {
    const config = configFor('custom-html', (swarm) => {
      delete swarm.ingressCa;
    });
    const { r, install, health } = await quickRun('custom-html', config);
    expect(r.exitCode, r.stderr).toBe(3);
    expect(install?.status).toBe('error');
    expect(health).toMatchObject({ status: 'error', code: 'INGRESS_FAILED' });
    expect(health?.detail).toMatch(/certificate .* not accepted.*swarm\.ingressCa/);
  });

  it('a deployed app has LETS_ENCRYPT_ENV empty, no certresolver label, and traefik is asked for no ACME', async () => {
    const since = new Date(Date.now() - 1_000).toISOString();
    const run = startCli([
      'run',
      'custom-html',
      '--repo',
      repo('custom-html').url,
      '--ref',
      'main',
      '--quick',
      '--json',
    ]);
    // Read while the app is deployed: its services' labels and its .env.
    const seen = await waitFor('the test app deployed with its traefik labels', async () => {
      const stack = (await testStacks())[0];
      if (!stack) return undefined;
      const r = await execa(
        'docker',
        ['service', 'ls', '--filter', `label=com.docker.stack.namespace=${stack}`, '-q'],
        {
          reject: false,
        },
      );
      const ids = r.stdout.split('\n').filter(Boolean);
      if (ids.length === 0) return undefined;
      const inspect = await execa('docker', ['service', 'inspect', ...ids], { reject: false });
      if (inspect.exitCode !== 0) return undefined;
      const specs = JSON.parse(inspect.stdout) as Array<{ Spec: { Name: string; Labels?: Record<string, string> } }>;
      const domain = `${stack.slice(0, -lane.stackSuffix.length)}.${lane.domain}`;
      const env = readFileSync(join(ABRA_SERVERS, `${domain}.env`), 'utf8');
      return { stack, specs, env };
    });
    const done = await run;
    expect(done.exitCode, String(done.stderr)).toBe(0);
    expect(seen.env).toMatch(/^LETS_ENCRYPT_ENV=$/m);
    const routers = seen.specs.flatMap((s) =>
      Object.entries(s.Spec.Labels ?? {}).filter(([k]) => /^traefik\.http\.routers\.[^.]+\.rule$/.test(k)),
    );
    expect(routers.length).toBeGreaterThan(0); // the recipe does route through traefik
    const resolvers = seen.specs.flatMap((s) =>
      Object.entries(s.Spec.Labels ?? {}).filter(([k, v]) => k.endsWith('.tls.certresolver') && v !== ''),
    );
    expect(resolvers).toEqual([]);
    expect((await traefikLog(since)).filter((l) => /ACME/.test(l))).toEqual([]);
    expect(await leftovers(seen.stack)).toEqual([]);
  });

  it('the stand-in traefik routes a new service within about a second, and says when ACME is asked for', async () => {
    const name = `${lane.name}-acme-probe`;
    const host = `acme-probe.${lane.domain}`;
    const since = new Date(Date.now() - 1_000).toISOString();
    const label = (k: string, v: string) => ['--label', `traefik.${k}=${v}`];
    await execa('docker', ['service', 'rm', name], { reject: false });
    await execa('docker', [
      'service',
      'create',
      '--detach',
      '--name',
      name,
      '--network',
      'proxy',
      '--endpoint-mode',
      'dnsrr',
      ...label('enable', 'true'),
      ...label('http.routers.acmeprobe.rule', `Host(\`${host}\`)`),
      ...label('http.routers.acmeprobe.entrypoints', 'web-secure'),
      ...label('http.routers.acmeprobe.tls.certresolver', 'production'),
      ...label('http.services.acmeprobe.loadbalancer.server.port', '80'),
      'nginx:1.27.2',
    ]);
    const created = Date.now();
    const status = async () =>
      (
        await execa(
          'curl',
          [
            '-sS',
            '-o',
            '/dev/null',
            '-w',
            '%{http_code}',
            '--max-time',
            '2',
            '--cacert',
            CA,
            '--resolve',
            `${host}:8443:127.0.0.1`,
            `https://${host}:8443/`,
          ],
          { reject: false },
        )
      ).stdout;
    try {
      // Routed (no longer traefik's 404 for an unknown host) within about a second of the deploy.
      await waitFor('the new router', async () => ((await status()) !== '404' ? true : undefined), 2_500);
      expect(Date.now() - created).toBeLessThan(2_500);
      await waitFor(
        'the new service to answer through it',
        async () => ((await status()) === '200' ? true : undefined),
        60_000,
      );
      const acme = await waitFor(
        'the ACME line',
        async () => {
          const lines = (await traefikLog(since)).filter((l) => l.includes('ACME') && l.includes(host));
          return lines.length > 0 ? lines : undefined;
        },
        5_000,
      );
      expect(acme[0]).toMatch(/Unable to obtain ACME certificate .*certresolver \\"production\\"/);
    } finally {
      await execa('docker', ['service', 'rm', name], { reject: false });
    }
  });
});
