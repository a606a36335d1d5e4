// Docker stops answering in the middle of two runs (after their apps are deployed): both end
// TEARDOWN_INCOMPLETE with their apps recorded in their leases as left behind. Once Docker answers
// again, `cc-ci janitor` reaps the one at any age, and a running `cc-ci serve` reaps the other on
// its own within a minute. Docker is cut through a proxy in front of its socket (the apps keep
// running on the swarm, as after a dockerd restart); the machine's dockerd is never touched.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { LeaseRecord } from '../../src/apps/lease.js';
import { runResultsSchema } from '../../src/model/results.js';
import { DockerProxy } from '../support/docker-proxy.js';
import { docker, fixtures, lane, leftovers, runCli, startCli, waitFor } from './helpers.js';
import { serveConfig, startServe, type ServeInstance } from './serve-helpers.js';

const proxy = new DockerProxy(join(mkdtempSync('/tmp/cc-ci-docker-proxy-'), 'docker.sock'));

/** A spec folder for custom-html whose custom check writes held/<domain> and waits for `release`. */
function holdingSpecs(): { specs: string; held: string; release: string } {
  const specs = mkdtempSync('/tmp/cc-ci-specs-');
  const held = join(specs, 'held');
  const release = join(specs, 'release');
  mkdirSync(held);
  mkdirSync(join(specs, 'custom-html'));
  writeFileSync(join(specs, 'custom-html', 'ci.yml'), 'health: {path: /, status: 200, timeout: 60s}\n');
  writeFileSync(
    join(specs, 'custom-html', 'hold.check.mjs'),
    [
      "import { existsSync, writeFileSync } from 'node:fs';",
      "import { join } from 'node:path';",
      'export async function heldOpen(ctx) {',
      `  writeFileSync(join(${JSON.stringify(held)}, ctx.domain), '');`,
      `  while (!existsSync(${JSON.stringify(release)})) await new Promise((r) => setTimeout(r, 100));`,
      "  return 'held open until Docker was cut';",
      '}',
      '',
    ].join('\n'),
  );
  return { specs, held, release };
}

/** The config file with Docker behind the proxy and the holding specs. */
function throughProxy(file: string, specs: string): string {
  const doc = parse(readFileSync(file, 'utf8'));
  doc.swarm.dockerHost = proxy.dockerHost;
  doc.recipesDir = specs;
  const out = join(mkdtempSync('/tmp/cc-ci-cfg-'), 'cc-ci.yml');
  writeFileSync(out, stringify(doc));
  return out;
}

function records(store: string): LeaseRecord[] {
  const dir = join(store, 'leases');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .map((n) => JSON.parse(readFileSync(join(dir, n), 'utf8')) as LeaseRecord);
}

// The server is stopped; after a failure only, what the test did not see reaped goes.
let stopServe: (() => Promise<unknown>) | undefined;
const cleanups: Array<() => Promise<unknown>> = [];
let passed = false;
afterAll(async () => {
  await proxy.open();
  await stopServe?.();
  if (!passed) for (const c of cleanups) await c();
});

describe('apps a run left behind when Docker stopped answering', () => {
  it('are reaped once Docker is back: by cc-ci janitor at any age, by a running serve on its own', async () => {
    await proxy.open();
    const repo = (await fixtures(['custom-html']))['custom-html']!;
    const hold = holdingSpecs();
    const janitorConfig = throughProxy(lane.config, hold.specs);
    const serveCfg = await serveConfig();
    serveCfg.file = throughProxy(serveCfg.file, hold.specs);
    cleanups.push(() => runCli(['janitor', '--max-age', '0', '--config', janitorConfig]));
    cleanups.push(() => runCli(['janitor', '--max-age', '0', '--config', serveCfg.file]));

    const start = (config: string) =>
      startCli([
        'run',
        'custom-html',
        '--repo',
        repo.url,
        '--ref',
        'main',
        '--stages',
        'install,recipe-local',
        '--json',
        '--config',
        config,
      ]);
    // Run J's store is the janitor's, run S's the server's.
    const runs = [start(janitorConfig), start(serveCfg.file)];
    await waitFor(
      'both runs to be held open by their check, their apps deployed',
      async () => {
        for (const r of runs) if (r.exitCode !== null && r.exitCode !== undefined) throw new Error('a run ended early');
        return readdirSync(hold.held).length === 2 || undefined;
      },
      240_000,
    );
    await proxy.cut();
    writeFileSync(hold.release, '');
    const [j, s] = await Promise.all(
      runs.map(async (r) => {
        const done = await r;
        expect(done.exitCode, String(done.stderr).slice(-3000)).toBe(3);
        return runResultsSchema.parse(JSON.parse(String(done.stdout)));
      }),
    );
    for (const results of [j!, s!]) {
      expect(results.error?.code).toBe('TEARDOWN_INCOMPLETE');
      expect(results.teardown.left.length).toBeGreaterThan(0);
    }
    const appJ = j!.apps[0]!.domain;
    const appS = s!.apps[0]!.domain;
    const stackOf = (domain: string) => domain.replaceAll('.', '_');
    // The apps still run on the swarm, and each store records its run's app as left behind.
    for (const domain of [appJ, appS]) expect((await docker.services(stackOf(domain))).length).toBeGreaterThan(0);
    expect(records(lane.store).map((r) => r.leftBehind)).toEqual([[appJ]]);
    expect(records(serveCfg.store).map((r) => r.leftBehind)).toEqual([[appS]]);

    // A server started while Docker is still away tries, fails, and says it will try again.
    const serve: ServeInstance = await startServe(serveCfg);
    stopServe = async () => {
      serve.process.kill('SIGTERM');
      await serve.process;
    };
    const serveLog = join(dirname(serveCfg.file), 'serve.log');
    await waitFor(
      'serve to try the left-behind app while Docker is away',
      async () =>
        /could not reap the apps that ended runs left behind/.test(readFileSync(serveLog, 'utf8')) || undefined,
      30_000,
    );
    expect((await docker.services(stackOf(appS))).length).toBeGreaterThan(0);

    await proxy.open();
    const back = Date.now();
    // The default --max-age (runner.janitorMaxAge, 2h) would keep an app minutes old: not one left behind.
    const janitor = await runCli(['janitor', '--config', janitorConfig]);
    expect(janitor.exitCode, janitor.stderr).toBe(0);
    expect(janitor.stderr).toContain(`reaping ${appJ} (an ended run left it behind, so at any age)`);
    expect(janitor.stderr).toContain('reaped 1 (1 left behind by ended runs, at any age)');
    expect(janitor.stderr).not.toContain(`reaping ${appS}`);
    expect(await leftovers(stackOf(appJ))).toEqual([]);
    expect(records(lane.store)).toEqual([]);

    await waitFor(
      'serve to reap its left-behind app',
      async () => ((await leftovers(stackOf(appS))).length === 0 && records(serveCfg.store).length === 0) || undefined,
      60_000 - (Date.now() - back),
    );
    expect(readFileSync(serveLog, 'utf8')).toContain(`reaped apps that ended runs had left behind: ${appS}`);
    passed = true;
  });
});
