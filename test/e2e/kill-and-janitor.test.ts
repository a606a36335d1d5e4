// kill -9 in the middle of a deploy leaves an orphan; `cc-ci janitor --max-age 0` reaps it (even
// with its .env gone) while a live run beside it is left alone and still passes. (Signals that a
// run catches are in signals.test.ts.)
import { existsSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LeaseRecord } from '../../src/apps/lease.js';
import { commitOnBranch } from '../../testbed/fixtures/make-recipes.js';
import { docker, fixtures, leftovers, repoRoot, runCli, startCli, waitFor } from './helpers.js';

const store = '/var/lib/cc-ci-testbed/store';
const serverDir = '/var/lib/cc-ci-testbed/abra/servers/default';

/** The app a running cc-ci process has claimed in its lease, once its stack has a service. */
async function liveApp(pid: number): Promise<{ domain: string; stack: string }> {
  return waitFor(`run ${pid} to start deploying`, async () => {
    for (const name of readdirSync(join(store, 'leases')).filter((n) => n.endsWith('.json'))) {
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
    const repos = await fixtures(['pg-app', 'broken-app']);
    // Run A is killed while its stack is coming up.
    const a = startCli(['run', 'pg-app', '--repo', repos['pg-app']!.url, '--ref', 'main', '--quick']);
    const appA = await liveApp(a.pid!);
    process.kill(a.pid!, 'SIGKILL');
    await a;
    expect((await leftovers(appA.stack)).length).toBeGreaterThan(0);
    // Its .env goes missing too: the janitor must find it on the swarm alone.
    rmSync(join(serverDir, `${appA.domain}.env`), { force: true });
    // An orphan .env with no stack at all (a run killed between `app new` and deploy).
    const orphanEnv = join(serverDir, 'orph-0a0b0c.ci.test.env');
    writeFileSync(orphanEnv, 'TYPE=custom-html\nDOMAIN=orph-0a0b0c.ci.test\n');
    const old = new Date(Date.now() - 3_600_000);
    utimesSync(orphanEnv, old, old);

    // Run B is live while the janitor runs: broken-app waits its whole TIMEOUT for convergence,
    // raised to 90 s on a branch so that B outlives the janitor's reaping of A on a busy machine.
    const sample = readFileSync(join(repoRoot, 'testbed/fixtures/recipes/broken-app/1.1.0+1.27.2/.env.sample'), 'utf8');
    expect(sample).toContain('TIMEOUT=20');
    await commitOnBranch(repos['broken-app']!, 'long-wait', { '.env.sample': sample.replace('TIMEOUT=20', 'TIMEOUT=90') }, 'wait 90 s');
    const b = startCli(['run', 'broken-app', '--repo', repos['broken-app']!.url, '--ref', 'long-wait', '--quick', '--json']);
    const appB = await liveApp(b.pid!);
    const janitor = await runCli(['janitor', '--max-age', '0']);
    expect(janitor.exitCode, janitor.stderr).toBe(0);
    expect(janitor.stderr).toContain(`reaping ${appA.domain}`);
    expect(janitor.stderr).not.toContain(`reaping ${appB.domain}`);
    expect(await leftovers(appA.stack)).toEqual([]);
    expect(existsSync(orphanEnv)).toBe(false);
    expect((await docker.services(appB.stack)).length).toBeGreaterThan(0);

    expect(janitor.stderr).toMatch(new RegExp(`keptLive.*${appB.domain.replaceAll('.', '\\.')}`));
    // B ends on its own terms: its convergence deadline, not a janitor that pulled the stack away.
    const bResult = await b;
    expect(bResult.exitCode, String(bResult.stderr)).toBe(1);
    const bResults = JSON.parse(String(bResult.stdout));
    expect(bResults.stages[0].reason).toMatch(/timed out after 90 s waiting for stack .* to converge/);
    expect(bResults.teardown.clean).toBe(true);
    expect(await leftovers(appB.stack)).toEqual([]);
  });

  it('leaves apps younger than --max-age alone', async () => {
    const young = join(serverDir, 'yung-0d0e0f.ci.test.env');
    writeFileSync(young, 'TYPE=custom-html\n');
    try {
      const r = await runCli(['janitor', '--max-age', '1h']);
      expect(r.exitCode).toBe(0);
      expect(existsSync(young)).toBe(true);
      expect(r.stderr).not.toContain('reaping yung-0d0e0f.ci.test');
    } finally {
      rmSync(young, { force: true });
    }
  });
});
