// `cc-ci demo` as a newcomer runs it: it reuses the running testbed, tests PR #1 and the default
// branch to their verdicts, prints a dashboard URL that serves the finished runs, and on Ctrl-C
// stops its server and forge, leaves nothing on the swarm, and leaves the testbed up.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { parseEvents } from '../../src/model/run-events.js';
import { cli, leftovers, runCli, waitFor } from './helpers.js';
import { freePort } from './serve-helpers.js';

/** Every stack the demo's runs deployed, from the events files in its store. */
function demoStacks(dir: string): string[] {
  const runs = join(dir, 'store', 'runs');
  return readdirSync(runs).flatMap((id) => {
    const file = join(runs, id, 'events.jsonl');
    return existsSync(file)
      ? parseEvents(readFileSync(file, 'utf8')).flatMap((e) => (e.type === 'app-claimed' ? [e.stack] : []))
      : [];
  });
}

async function answers(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return true;
  } catch {
    return false;
  }
}

describe('cc-ci demo', () => {
  it('runs the loop to its verdicts, serves them at the printed URL, and Ctrl-C leaves nothing behind', async () => {
    const dir = join(mkdtempSync('/tmp/cc-ci-demo-test-'), 'demo');
    const port = await freePort();
    const demo = execa(process.execPath, [cli, 'demo', '--port', String(port), '--dir', dir], {
      reject: false,
      all: true,
    });
    let out = '';
    demo.all!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    await waitFor(
      'the demo to serve',
      async () => {
        if (demo.exitCode !== null && demo.exitCode !== undefined)
          throw new Error(`the demo exited ${demo.exitCode}:\n${out}`);
        return out.includes('Serving until Ctrl-C.') || undefined;
      },
      280_000,
    );

    // What it printed: the PR's verdict and reply, then where to look.
    expect(out).toContain('a swarm answers');
    expect(out).toMatch(/PR #1: passed \(as expected\); commit status success/);
    expect(out).toMatch(/main: passed, level L5 \(as expected\)/);
    expect(out).toMatch(/✅ passed · level \*\*L5\*\*/);
    const dashboard = /Dashboard: +(\S+)/.exec(out)?.[1];
    expect(dashboard).toBe(`http://127.0.0.1:${port}/`);
    const runPages = [...out.matchAll(/Run page: +(\S+)/g)].map((m) => m[1]!);
    expect(runPages).toHaveLength(2);
    for (const page of runPages) {
      const html = await (await fetch(page)).text();
      expect(html).toContain('custom-html');
      const id = page.split('/').pop()!;
      const run = (await (await fetch(`${dashboard}api/runs/${id}`)).json()) as { state: string; verdict: string };
      expect(run).toMatchObject({ state: 'passed', verdict: 'pass' });
    }
    const overview = await (await fetch(dashboard!)).text();
    expect(overview).toContain('custom-html');
    expect(await (await fetch(`${dashboard}badge/custom-html.svg`)).text()).toContain('pass L5');
    for (const shot of ['pr-1.png', 'dashboard.png']) {
      expect(readFileSync(join(dir, shot)).subarray(1, 4).toString()).toBe('PNG');
    }
    const forgeUrl = /Stand-in forge on (\S+):/.exec(out)?.[1];
    expect(forgeUrl).toBeDefined();
    expect(await answers(forgeUrl!)).toBe(true);

    // Ctrl-C: everything it started stops, the swarm holds nothing of its runs, the testbed stays.
    const stacks = demoStacks(dir);
    expect(stacks.length).toBeGreaterThanOrEqual(4);
    demo.kill('SIGINT');
    const ended = await demo;
    expect(ended.exitCode, out).toBe(0);
    expect(out).toContain(`The swarm holds nothing of the demo's runs (${stacks.length} apps deployed, all gone).`);
    expect(out).toContain('it is left up');
    for (const stack of stacks) expect(await leftovers(stack)).toEqual([]);
    expect(await answers(dashboard!)).toBe(false);
    expect(await answers(forgeUrl!)).toBe(false);
    expect((await execa('docker', ['info', '--format', '{{.Swarm.LocalNodeState}}'])).stdout).toBe('active');
  }, 320_000);

  it('refuses a bad --pr or --port, and a --dir it did not make, with exit 2 and nothing started', async () => {
    const bad = await runCli(['demo', '--pr', 'nonsense']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('--pr: the only extra PR is "broken"');
    expect((await runCli(['demo', '--port', '99999'])).exitCode).toBe(2);
    const foreign = mkdtempSync('/tmp/cc-ci-demo-foreign-');
    mkdirSync(join(foreign, 'keep'));
    writeFileSync(join(foreign, 'keep', 'precious.txt'), 'mine\n');
    const r = await runCli(['demo', '--dir', foreign, '--port', String(await freePort())]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('was not made by cc-ci demo');
    expect(readFileSync(join(foreign, 'keep', 'precious.txt'), 'utf8')).toBe('mine\n');
  });
});
