// kill -9 in the middle of a deploy leaves an orphan; `cc-ci janitor --max-age 0` reaps it (even
// with its .env gone) while a live run beside it is left alone and still passes. (Signals that a
// run catches are in signals.test.ts.)
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LeaseRecord } from '../../src/apps/lease.js';
import { configWith, docker, fixtures, lane, leftovers, runCli, startCli, waitFor } from './helpers.js';

const store = lane.store;
const serverDir = '/var/lib/cc-ci-testbed/abra/servers/default';

/**
 * A spec folder for custom-html whose custom check holds the run open: it writes `held` (with
 * the app's domain) and waits until the test writes `release`; then the app must still answer.
 */
function holdingSpecs(): { specs: string; held: string; release: string } {
  const specs = mkdtempSync('/tmp/cc-ci-specs-');
  const held = join(specs, 'held');
  const release = join(specs, 'release');
  mkdirSync(join(specs, 'custom-html'));
  writeFileSync(join(specs, 'custom-html', 'ci.yml'), 'health: {path: /, status: 200, timeout: 60s}\n');
  writeFileSync(
    join(specs, 'custom-html', 'hold.check.mjs'),
    [
      "import { existsSync, writeFileSync } from 'node:fs';",
      'export async function heldOpen(ctx) {',
      `  writeFileSync(${JSON.stringify(held)}, ctx.domain);`,
      `  while (!existsSync(${JSON.stringify(release)})) {`,
      "    if (ctx.signal.aborted) throw new Error('stopped while held open');",
      '    await new Promise((r) => setTimeout(r, 100));',
      '  }',
      "  const res = await ctx.fetch('/');",
      '  if (res.status !== 200) throw new Error(`after the janitor, / answered ${res.status}`);',
      '  return `after the janitor, / still answered ${res.status}`;',
      '}',
      '',
    ].join('\n'),
  );
  return { specs, held, release };
}

/** The app a running cc-ci process has claimed in its lease, once its stack has a service. */
async function liveApp(pid: number): Promise<{ domain: string; stack: string }> {
  return waitFor(`run ${pid} to start deploying`, async () => {
    // The lane's store is new: its leases folder comes with the first run's lease.
    const leases = existsSync(join(store, 'leases')) ? readdirSync(join(store, 'leases')) : [];
    for (const name of leases.filter((n) => n.endsWith('.json'))) {
      const lease = JSON.parse(readFileSync(join(store, 'leases', name), 'utf8')) as LeaseRecord;
      const domain = lease.pid === pid ? lease.apps[0] : undefined;
      if (!domain) continue;
      const stack = domain.replaceAll('.', '_');
      if ((await docker.services(stack)).length > 0) return { domain, stack };
    }
    return undefined;
  });
}

describe('kill -9 and the janitor', () => {
  it('reaps what a killed run left, never touches a live run, and cleans orphan .env files', async () => {
    const repos = await fixtures(['pg-app', 'custom-html']);
    // Run A is killed while its stack is coming up.
    const a = startCli(['run', 'pg-app', '--repo', repos['pg-app']!.url, '--ref', 'main', '--quick']);
    const appA = await liveApp(a.pid!);
    process.kill(a.pid!, 'SIGKILL');
    await a;
    expect((await leftovers(appA.stack)).length).toBeGreaterThan(0);
    // Its .env goes missing too: the janitor must find it on the swarm alone.
    rmSync(join(serverDir, `${appA.domain}.env`), { force: true });
    // An orphan .env with no stack at all (a run killed between `app new` and deploy).
    const orphanEnv = join(serverDir, `orph-0a0b0c.${lane.domain}.env`);
    writeFileSync(orphanEnv, `TYPE=custom-html\nDOMAIN=orph-0a0b0c.${lane.domain}\n`);
    const old = new Date(Date.now() - 3_600_000);
    utimesSync(orphanEnv, old, old);

    // Run B is live while the janitor runs: its custom check holds it open (its app deployed,
    // its lease live) until the test releases it, after the janitor, however busy the machine.
    const hold = holdingSpecs();
    const b = startCli([
      'run',
      'custom-html',
      '--repo',
      repos['custom-html']!.url,
      '--ref',
      'main',
      '--stages',
      'install,recipe-local',
      '--json',
      '--config',
      configWith({ recipesDir: hold.specs }),
    ]);
    const appB = await liveApp(b.pid!);
    const held = await waitFor(
      'run B to be held open by its check',
      async () => {
        if (b.exitCode !== null && b.exitCode !== undefined) throw new Error(`run B ended (${b.exitCode}), never held`);
        return existsSync(hold.held) ? readFileSync(hold.held, 'utf8') || undefined : undefined;
      },
      180_000,
    );
    expect(held).toBe(appB.domain);
    const janitor = await runCli(['janitor', '--max-age', '0']);
    expect(janitor.exitCode, janitor.stderr).toBe(0);
    expect(janitor.stderr).toContain(`reaping ${appA.domain}`);
    expect(janitor.stderr).not.toContain(`reaping ${appB.domain}`);
    expect(await leftovers(appA.stack)).toEqual([]);
    expect(existsSync(orphanEnv)).toBe(false);
    expect((await docker.services(appB.stack)).length).toBeGreaterThan(0);

    expect(janitor.stderr).toMatch(new RegExp(`keptLive.*${appB.domain.replaceAll('.', '\\.')}`));
    // B ends on its own terms: released, its check finds its app still serving (the janitor
    // pulled nothing away), and it passes and tears down.
    writeFileSync(hold.release, '');
    const bResult = await b;
    expect(bResult.exitCode, String(bResult.stderr)).toBe(0);
    const bResults = JSON.parse(String(bResult.stdout));
    const local = bResults.stages.find((s: { name: string }) => s.name === 'recipe-local');
    expect(local.checks).toEqual([
      expect.objectContaining({
        name: 'hold.heldOpen',
        status: 'pass',
        detail: 'after the janitor, / still answered 200',
      }),
    ]);
    expect(bResults.teardown.clean).toBe(true);
    expect(await leftovers(appB.stack)).toEqual([]);
  });

  it('leaves apps younger than --max-age alone', async () => {
    const young = join(serverDir, `yung-0d0e0f.${lane.domain}.env`);
    writeFileSync(young, 'TYPE=custom-html\n');
    try {
      const r = await runCli(['janitor', '--max-age', '1h']);
      expect(r.exitCode).toBe(0);
      expect(existsSync(young)).toBe(true);
      expect(r.stderr).not.toContain(`reaping yung-0d0e0f.${lane.domain}`);
    } finally {
      rmSync(young, { force: true });
    }
  });
});
