// `cc-ci serve` on the testbed: runs queued through the API run as children on the real swarm;
// a second request for the same recipe and PR supersedes the first; kill -9 of the server loses
// no run record, and the next start interrupts the orphaned run, tears it down and reaps.
import { readFileSync, writeFileSync } from 'node:fs';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, fixtures, leftovers, waitFor } from './helpers.js';
import {
  adminToken,
  api,
  claimedStacks,
  finished,
  runUntil,
  serveConfig,
  startServe,
  type ApiRun,
  type ServeInstance,
} from './serve-helpers.js';

const started: ServeInstance[] = [];
afterAll(async () => {
  for (const s of started) s.process.kill('SIGTERM');
  await Promise.all(started.map((s) => s.process));
});

describe('cc-ci serve', () => {
  it('refuses a bad config at start with a message that names the key, and serves nothing', async () => {
    const cfg = await serveConfig();
    writeFileSync(cfg.file, readFileSync(cfg.file, 'utf8').replace('capacity:', 'capacty:'));
    const r = await execa(process.execPath, [cli, 'serve', '--config', cfg.file], { reject: false, timeout: 30_000 });
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toMatch(/runner.*capacty/);
    await expect(fetch(`http://127.0.0.1:${cfg.port}/healthz`)).rejects.toThrow();
  });

  it('runs a queued run to its verdict, and a newer run for the same PR supersedes the older', async () => {
    const repos = await fixtures(['custom-html']);
    const serve = await startServe(await serveConfig({ capacity: 2 }));
    started.push(serve);
    const ask = (pr?: number) =>
      api<ApiRun>(serve.url, '/api/runs', {
        method: 'POST',
        token: adminToken,
        body: {
          recipe: 'custom-html',
          ref: 'main',
          repo: repos['custom-html']!.url,
          stages: ['install'],
          ...(pr ? { pr } : {}),
        },
      });
    const unauthorised = await api(serve.url, '/api/runs', {
      method: 'POST',
      body: { recipe: 'custom-html', ref: 'main', repo: repos['custom-html']!.url },
    });
    expect(unauthorised.status).toBe(401);
    expect((await api<{ runs: ApiRun[] }>(serve.url, '/api/runs')).body.runs).toEqual([]);

    const branch = await ask();
    expect(branch.status).toBe(201);
    const first = await ask(7);
    await runUntil(serve.url, first.body.id, (r) => r.state === 'running');
    const second = await ask(7);
    const firstEnd = await runUntil(serve.url, first.body.id, finished);
    expect(firstEnd).toMatchObject({
      state: 'superseded',
      supersededBy: second.body.id,
      error: { code: 'SUPERSEDED' },
    });
    expect(firstEnd.verdict).not.toBe('pass');
    const secondEnd = await runUntil(serve.url, second.body.id, finished);
    expect(secondEnd).toMatchObject({ state: 'passed', verdict: 'pass', level: 1 });
    expect(await runUntil(serve.url, branch.body.id, finished)).toMatchObject({ state: 'passed' });
    const listed = (await api<{ runs: ApiRun[] }>(serve.url, '/api/runs')).body.runs.map((r) => r.id);
    expect(listed).toEqual([second.body.id, first.body.id, branch.body.id]);
    const stacks = [branch, first, second].flatMap((r) => claimedStacks(serve.store, r.body.id));
    // The superseded run may have been stopped before it claimed an app.
    expect(stacks.length).toBeGreaterThanOrEqual(2);
    for (const stack of stacks) expect(await leftovers(stack)).toEqual([]);
  });

  const killNine =
    'loses no run record to kill -9: the next start interrupts the orphaned run, tears it down and reaps';
  it(killNine, async () => {
    const repos = await fixtures(['pg-app', 'custom-html']);
    const cfg = await serveConfig({ capacity: 1 });
    const serve = await startServe(cfg);
    started.push(serve);
    const body = (recipe: string) => ({ recipe, ref: 'main', repo: repos[recipe]!.url, stages: ['install'] });
    const earlier = await api<ApiRun>(serve.url, '/api/runs', {
      method: 'POST',
      token: adminToken,
      body: body('custom-html'),
    });
    await runUntil(serve.url, earlier.body.id, finished);
    const victim = await api<ApiRun>(serve.url, '/api/runs', {
      method: 'POST',
      token: adminToken,
      body: body('pg-app'),
    });
    const queued = await api<ApiRun>(serve.url, '/api/runs', {
      method: 'POST',
      token: adminToken,
      body: body('custom-html'),
    });
    // Kill the server while its run has a stack on the swarm.
    const stack = await waitFor('the run to deploy', async () => {
      const claimed = claimedStacks(serve.store, victim.body.id)[0];
      return claimed && (await leftovers(claimed)).some((l) => l.startsWith('services ')) ? claimed : undefined;
    });
    serve.process.kill('SIGKILL');
    await serve.process;
    expect((await leftovers(stack)).length).toBeGreaterThan(0);

    const again = await serve.restart();
    started.push(again);
    const interrupted = await runUntil(again.url, victim.body.id, finished);
    expect(interrupted).toMatchObject({
      state: 'interrupted',
      error: { code: 'INTERRUPTED', message: expect.stringContaining('the server stopped') },
    });
    expect(await leftovers(stack)).toEqual([]);
    // The queued run was kept and runs now; the earlier run is still listed.
    expect(await runUntil(again.url, queued.body.id, finished)).toMatchObject({ state: 'passed' });
    const ids = (await api<{ runs: ApiRun[] }>(again.url, '/api/runs')).body.runs.map((r) => r.id);
    expect(ids).toEqual([queued.body.id, victim.body.id, earlier.body.id]);
    for (const r of [earlier, queued])
      for (const s of claimedStacks(cfg.store, r.body.id)) expect(await leftovers(s)).toEqual([]);
  });
});
