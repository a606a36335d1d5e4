// The queue with a fake executor whose runs we drive by hand (test/support): capacity, fairness,
// supersede, cancel with teardown, SIGKILL after the budget with the apps reaped, a child that
// dies without results, and the store keeping every record.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { createLogger } from '../../../src/log/create-logger.js';
import type { TriggeredRequest } from '../../../src/model/run.js';
import { Scheduler, stateOfResults } from '../../../src/queue/scheduler.js';
import { RunStore } from '../../../src/queue/store.js';
import { SecretRegistry } from '../../../src/secrets/secret-registry.js';
import { FakeClock } from '../../support/fake-clock.js';
import { FakeExecutor } from '../../support/fake-executor.js';

function setup(opts: { capacity?: number; budgetMs?: number; clock?: FakeClock } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'cc-ci-sched-'));
  mkdirSync(join(dir, 'abra', 'servers', 'default'), { recursive: true });
  writeFileSync(
    join(dir, 'cc-ci.yml'),
    'swarm: {server: default, domain: ci.test, abraDir: ./abra}\n' +
      `runner: {capacity: ${opts.capacity ?? 1}}\nstore: ./store\n`,
  );
  const secrets = new SecretRegistry();
  const config = loadConfig({ path: join(dir, 'cc-ci.yml'), secrets });
  const store = new RunStore(join(dir, 'store', 'cc-ci.db'));
  const executor = new FakeExecutor(config.store);
  const children = executor.started;
  const reaped: string[][] = [];
  let n = 0;
  const scheduler = new Scheduler({
    store,
    executor,
    config,
    log: createLogger({ secrets, console: false }).log,
    reap: async (d) => {
      reaped.push(d);
    },
    teardownBudgetMs: opts.budgetMs ?? 5_000,
    newId: () => `run-${++n}`,
    clock: opts.clock,
  });
  return { store, scheduler, children, reaped, dir };
}

const req = (recipe: string, pr?: number): TriggeredRequest => ({
  recipe,
  repo: `file:///srv/${recipe}`,
  ref: pr ? `refs/pull/${pr}/head` : 'main',
  pr,
  stages: [],
  keep: false,
  trigger: { kind: 'api' },
});

async function until<T>(what: string, probe: () => T | undefined, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('scheduler', () => {
  it('runs capacity runs at once, first come first served, and follows each through its events', async () => {
    const { store, scheduler, children } = setup({ capacity: 1 });
    const a = scheduler.enqueue(req('custom-html'));
    const b = scheduler.enqueue(req('pg-app'));
    expect(children).toHaveLength(1);
    expect(store.getRun(a.id)?.state).toBe('running');
    expect(scheduler.queuePosition(b.id)).toBe(1);
    children[0]!.emit({ type: 'stage-started', stage: 'install' });
    await until('the current stage', () => store.getRun(a.id)?.currentStage === 'install');
    children[0]!.emit({
      type: 'stage-finished',
      stage: 'install',
      result: {
        name: 'install',
        status: 'fail',
        code: 'CHECK_FAILED',
        reason: 'health: 503',
        checks: [{ name: 'health GET /', status: 'fail', detail: '503' }],
      },
    });
    children[0]!.finish('fail');
    await until('b to start', () => children.length === 2);
    expect(store.getRun(a.id)).toMatchObject({ state: 'failed', verdict: 'fail', sha: 'abc123' });
    expect(store.stagesOf(a.id)[0]).toMatchObject({
      name: 'install',
      status: 'fail',
      checks: [{ name: 'health GET /', detail: '503' }],
    });
    expect(store.getRun(b.id)?.state).toBe('running');
  });

  it('is fair between recipes: a recipe already running waits behind one that is not', async () => {
    const { store, scheduler, children } = setup({ capacity: 2 });
    scheduler.enqueue(req('custom-html'));
    const a2 = scheduler.enqueue(req('custom-html'));
    expect(children).toHaveLength(2); // capacity 2: both start
    const a3 = scheduler.enqueue(req('custom-html'));
    const b1 = scheduler.enqueue(req('pg-app'));
    children[1]!.finish('pass');
    await until('a third start', () => children.length === 3);
    expect(children[2]!.run.id).toBe(b1.id);
    expect(store.getRun(a3.id)?.state).toBe('queued');
    expect(store.getRun(a2.id)?.state).toBe('passed');
  });

  const supersedes =
    'a new run for the same recipe and PR supersedes a queued and a running one; only the newest can pass';
  it(supersedes, async () => {
    const { store, scheduler, children } = setup({ capacity: 1 });
    const first = scheduler.enqueue(req('custom-html', 7));
    const second = scheduler.enqueue(req('custom-html', 7));
    // The second was queued behind the running first, and superseded it: the first tears down.
    await until('the first to end', () => store.getRun(first.id)?.state === 'superseded');
    expect(children[0]!.signals).toEqual(['SIGTERM']);
    expect(store.getRun(first.id)).toMatchObject({
      supersededBy: second.id,
      error: { code: 'SUPERSEDED', message: `superseded by run ${second.id}` },
    });
    await until('the second to start', () => children.length === 2);
    const third = scheduler.enqueue(req('custom-html', 7));
    await until('the second to end', () => store.getRun(second.id)?.state === 'superseded');
    await until('the third to start', () => children.length === 3);
    children[2]!.finish('pass');
    await until('the third to pass', () => store.getRun(third.id)?.state === 'passed');
    const other = scheduler.enqueue(req('custom-html', 8));
    expect(store.getRun(other.id)?.supersededBy).toBeUndefined();
  });

  it('cancels a queued run at once and a running one after its teardown', async () => {
    const { store, scheduler, children } = setup({ capacity: 1 });
    const running = scheduler.enqueue(req('custom-html'));
    const queued = scheduler.enqueue(req('pg-app'));
    expect((await scheduler.cancel(queued.id))?.state).toBe('cancelled');
    const ended = await scheduler.cancel(running.id, 'cancelled from the dashboard');
    expect(ended).toMatchObject({
      state: 'cancelled',
      error: { code: 'CANCELLED', message: 'cancelled from the dashboard' },
    });
    expect(store.getRun(running.id)?.pid).toBeUndefined();
    expect(readFileSync(join(children[0]!.files.dir, 'stop-reason.json'), 'utf8')).toContain(
      'cancelled from the dashboard',
    );
  });

  it("a clean stop of the server ends its running runs interrupted, with CANCELLED and the stop's reason", async () => {
    const { store, scheduler } = setup({ capacity: 1 });
    const running = scheduler.enqueue(req('custom-html'));
    const queued = scheduler.enqueue(req('pg-app'));
    await scheduler.shutdown('SIGTERM');
    expect(store.getRun(running.id)).toMatchObject({
      state: 'interrupted',
      error: { code: 'CANCELLED', message: 'SIGTERM' },
    });
    // A queued run is kept for the next start.
    expect(store.getRun(queued.id)?.state).toBe('queued');
  });

  it('kills a run that does not tear down within the budget, then reaps the apps it claimed', async () => {
    const { store, scheduler, children, reaped } = setup({ capacity: 1, budgetMs: 200 });
    const run = scheduler.enqueue(req('custom-html'));
    children[0]!.onStop = 'ignore';
    children[0]!.emit({
      type: 'app-claimed',
      domain: 'cust-aaaaaa.ci.test',
      stack: 'cust-aaaaaa_ci_test',
      role: 'install',
    });
    children[0]!.emit({
      type: 'app-claimed',
      domain: 'cust-bbbbbb.ci.test',
      stack: 'cust-bbbbbb_ci_test',
      role: 'upgrade',
    });
    children[0]!.emit({ type: 'app-released', domain: 'cust-bbbbbb.ci.test', kept: false, left: [] });
    await until('the claims to be read', () => true);
    await new Promise((r) => setTimeout(r, 400));
    const ended = await scheduler.cancel(run.id);
    expect(children[0]!.signals).toEqual(['SIGTERM', 'SIGKILL']);
    expect(reaped).toEqual([['cust-aaaaaa.ci.test']]);
    expect(ended).toMatchObject({
      state: 'cancelled',
      error: { code: 'CANCELLED', message: expect.stringContaining('was killed') },
    });
    expect(store.getRun(run.id)?.pid).toBeUndefined();
  });

  it('a child that dies without results ends errored, and the next run starts', async () => {
    const { store, scheduler, children } = setup({ capacity: 1 });
    const run = scheduler.enqueue(req('custom-html'));
    scheduler.enqueue(req('pg-app'));
    children[0]!.kill();
    await until('the next run', () => children.length === 2);
    expect(store.getRun(run.id)).toMatchObject({
      state: 'errored',
      error: { code: 'INTERNAL', message: expect.stringContaining('killed by SIGKILL') },
    });
  });

  it('stops a run that outlives runTimeout and the teardown budget (the backstop), on the clock given', async () => {
    const clock = new FakeClock('2026-03-01T12:00:00Z');
    const { store, scheduler, children } = setup({ capacity: 1, budgetMs: 1_000, clock });
    const run = scheduler.enqueue(req('custom-html'));
    const at = '2026-03-01T12:00:00.000Z';
    expect(store.getRun(run.id)).toMatchObject({ state: 'running', createdAt: at, startedAt: at });
    clock.advance(60 * 60_000); // runner.runTimeout (60 min): the child's own limit, not the server's
    expect(children[0]!.signals).toEqual([]);
    clock.advance(1_000);
    expect(children[0]!.signals).toEqual(['SIGTERM']);
    await until('the run to end', () => scheduler.runningCount() === 0);
    expect(store.getRun(run.id)).toMatchObject({ state: 'errored', finishedAt: '2026-03-01T13:00:01.000Z' });
    expect(store.getRun(run.id)?.error).toEqual({
      code: 'TIMED_OUT',
      message: 'the run outlived runner.runTimeout and the server stopped it',
    });
    // Neither the backstop nor the kill timer is left behind.
    expect(clock.pending).toBe(0);
  });

  it('maps results to states', () => {
    expect(stateOfResults({ verdict: 'pass' })).toBe('passed');
    expect(stateOfResults({ verdict: 'fail' })).toBe('failed');
    expect(stateOfResults({ verdict: 'error', error: { code: 'CANCELLED', message: '' } })).toBe('cancelled');
    expect(stateOfResults({ verdict: 'error', error: { code: 'SUPERSEDED', message: '' } })).toBe('superseded');
    expect(stateOfResults({ verdict: 'error', error: { code: 'DOCKER_FAILED', message: '' } })).toBe('errored');
  });
});

describe('run store', () => {
  it('keeps runs across a reopen, lists them newest first with filters, and keeps the first end', () => {
    const { store, dir } = setup();
    const a = store.insertRun('a', req('custom-html'), new Date('2026-01-01T00:00:00Z'));
    store.insertRun('b', req('custom-html', 3), new Date('2026-01-02T00:00:00Z'));
    store.insertRun('c', req('pg-app'), new Date('2026-01-03T00:00:00Z'));
    expect(store.listRuns().map((r) => r.id)).toEqual(['c', 'b', 'a']);
    expect(store.listRuns({ recipe: 'custom-html', limit: 1 }).map((r) => r.id)).toEqual(['b']);
    expect(store.finishRun(a.id, { state: 'passed', verdict: 'pass', level: 3 })).toBe(true);
    expect(store.finishRun(a.id, { state: 'cancelled' })).toBe(false);
    store.finishRun('b', { state: 'failed', verdict: 'fail', level: 0 });
    store.setCursor('poll:coop-cloud/custom-html', '42');
    store.close();
    const again = new RunStore(join(dir, 'store', 'cc-ci.db'));
    expect(again.getRun('a')).toMatchObject({ state: 'passed', level: 3 });
    expect(again.listRuns({ state: 'queued' }).map((r) => r.id)).toEqual(['c']);
    // The badge shows the latest finished branch run, not a PR's.
    const html = again.recipes().find((r) => r.name === 'custom-html')!;
    expect(html.latest?.id).toBe('b');
    expect(html.badge?.id).toBe('a');
    expect(again.getCursor('poll:coop-cloud/custom-html')).toBe('42');
    expect(again.countByState()).toMatchObject({ passed: 1, failed: 1, queued: 1, running: 0 });
  });

  it('keeps the commit a run is pinned to across a restart, and starts the run on it', () => {
    const sha = 'c'.repeat(40);
    const first = setup({ capacity: 1 });
    first.scheduler.enqueue(req('keycloak')); // holds the one slot
    const queued = first.scheduler.enqueue({ ...req('custom-html', 9), sha });
    expect(queued).toMatchObject({ state: 'queued', sha });
    first.store.close();
    // The server restarts: the queued run comes back from the file with its commit, and starts on it.
    const store = new RunStore(join(first.dir, 'store', 'cc-ci.db'));
    expect(store.getRun(queued.id)).toMatchObject({ state: 'queued', ref: 'refs/pull/9/head', sha });
    const executor = new FakeExecutor(join(first.dir, 'store'));
    const config = loadConfig({ path: join(first.dir, 'cc-ci.yml'), secrets: new SecretRegistry() });
    const scheduler = new Scheduler({
      store,
      executor,
      config,
      log: createLogger({ secrets: new SecretRegistry(), console: false }).log,
      reap: async () => undefined,
      teardownBudgetMs: 5_000,
    });
    scheduler.pump();
    expect(executor.started.map((e) => [e.run.id, e.run.sha])).toEqual([[queued.id, sha]]);
    store.close();
  });
});
