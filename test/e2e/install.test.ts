// The install stage on the real testbed swarm: a static recipe passes with a real screenshot; a
// recipe that never converges and one whose health check fails both fail the stage with a
// message that says why; none of them leaves anything behind.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FixtureRepo } from '../../testbed/fixtures/make-recipes.js';
import { artifactsDir, configWith, fixtures, lane, leftovers, runCli } from './helpers.js';

const escaped = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

let repos: Record<string, FixtureRepo>;
beforeAll(async () => {
  repos = await fixtures(['custom-html', 'broken-app', 'unhealthy-app', 'multi-app']);
});

function repo(name: string): FixtureRepo {
  const r = repos[name];
  if (!r) throw new Error(`no fixture ${name}`);
  return r;
}

describe('install stage', () => {
  it('installs the static recipe, checks it through the ingress and in Chromium, and tears it all down', async () => {
    const r = await runCli([
      'run',
      'custom-html',
      '--repo',
      repo('custom-html').url,
      '--ref',
      'main',
      '--stages',
      'install',
      '--json',
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    const results = r.results!;
    expect(results.verdict).toBe('pass');
    expect(results.level).toBe(1);
    expect(results.headSha).toBe(repo('custom-html').head);
    const install = results.stages.find((s) => s.name === 'install')!;
    expect(install.status).toBe('pass');
    expect(install.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining(['converged', 'deployed the head commit', 'health GET /', 'browser /']),
    );
    expect(results.stages.filter((s) => s.name !== 'install').every((s) => s.status === 'skip')).toBe(true);
    const app = results.apps[0]!;
    expect(app.domain).toMatch(new RegExp(`^cust-[0-9a-f]{6}\\.${escaped(lane.domain)}$`));
    expect(app.chaosVersion).toBe(repo('custom-html').head.slice(0, 8));
    expect(app.version).toBe(results.versions.head);
    // The screenshot is a real PNG of the page at the viewport size.
    const png = readFileSync(join(artifactsDir(results.runId), 'install-screenshot.png'));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1280, 800]);
    expect(png.length).toBeGreaterThan(2000);
    const browser = install.checks.find((c) => c.name === 'browser /')!;
    expect(browser.detail).toContain('1.1.0');
    // Results and junit are written; nothing of the app is left.
    const dir = artifactsDir(results.runId);
    expect(readFileSync(join(dir, 'junit.xml'), 'utf8')).toContain('<testsuite name="install" tests=');
    expect(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')).verdict).toBe('pass');
    expect(results.teardown).toMatchObject({ clean: true, left: [] });
    expect(await leftovers(app.stack)).toEqual([]);
    expect(existsSync(`/var/lib/cc-ci-testbed/abra/servers/default/${app.domain}.env`)).toBe(false);
  });

  it('fails a recipe that never converges, naming the service, and leaves nothing', async () => {
    const r = await runCli([
      'run',
      'broken-app',
      '--repo',
      repo('broken-app').url,
      '--ref',
      'main',
      '--stages',
      'install',
      '--json',
    ]);
    expect(r.exitCode, r.stderr).toBe(1);
    const results = r.results!;
    const install = results.stages.find((s) => s.name === 'install')!;
    expect(install.status).toBe('fail');
    const stack =
      results.apps[0]?.stack ??
      new RegExp(`(brok-[0-9a-f]{6}${escaped(lane.stackSuffix)})`).exec(install.reason ?? '')?.[1];
    expect(stack).toBeDefined();
    expect(install.reason).toContain(`${stack}_app`);
    expect(install.reason).toMatch(/converge/);
    expect(results.verdict).toBe('fail');
    expect(results.level).toBe(0);
    expect(results.teardown.clean).toBe(true);
    expect(await leftovers(stack!)).toEqual([]);
  });

  it('fails the install stage when the health check fails, and leaves nothing', async () => {
    // The outcome is under test, not the length of the wait: health polls for 10 s, not the
    // default 60 s (the app converges first, so the ingress reaches it well within that).
    const specs = mkdtempSync('/tmp/cc-ci-specs-');
    mkdirSync(join(specs, 'unhealthy-app'));
    writeFileSync(join(specs, 'unhealthy-app', 'ci.yml'), 'health: {path: /, timeout: 10s}\n');
    const config = configWith({ recipesDir: specs });
    const r = await runCli([
      'run',
      'unhealthy-app',
      '--repo',
      repo('unhealthy-app').url,
      '--ref',
      'main',
      '--quick',
      '--json',
      '--config',
      config,
    ]);
    expect(r.exitCode, r.stderr).toBe(1);
    const install = r.results!.stages.find((s) => s.name === 'install')!;
    expect(install.status).toBe('fail');
    expect(install.checks.find((c) => c.name === 'converged')?.status).toBe('pass');
    const health = install.checks.find((c) => c.name === 'health GET /')!;
    expect(health.status).toBe('fail');
    expect(health.detail).toMatch(/did not answer a status below 500 .* last: 503/);
    expect(install.reason).toContain('health GET /');
    expect(await leftovers(r.results!.apps[0]!.stack)).toEqual([]);
  });

  it('installs a multi-service recipe and waits for every service', async () => {
    const r = await runCli(['run', 'multi-app', '--repo', repo('multi-app').url, '--ref', 'main', '--quick', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const converged = r.results!.stages[0]!.checks.find((c) => c.name === 'converged')!;
    expect(converged.detail).toMatch(/^[4-9] services at desired replicas/);
    expect(await leftovers(r.results!.apps[0]!.stack)).toEqual([]);
  });
});
