// The queue with a fake executor whose runs we drive by hand (test/support): capacity, fairness,
// supersede, cancel with teardown, SIGKILL after the budget with the apps reaped, a child that
// dies without results, the store keeping every record, and a drain (an upgrade's stop).
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { createLogger } from '../../../src/log/create-logger.js';
import type { TriggeredRequest } from '../../../src/model/run.js';
import { recoverRuns } from '../../../src/queue/recover.js';
import { Scheduler, stateOfResults } from '../../../src/queue/scheduler.js';
import { RunStore } from '../../../src/queue/store.js';
import { SecretRegistry } from '../../../src/secrets/secret-registry.js';
import { FakeClock } from '../../support/fake-clock.js';
import { FakeExecution, FakeExecutor } from '../../support/fake-executor.js';

function setup(opts: { capacity?: number; budgetMs?: number; clock?: FakeClock; logFile?: string } = {}) {
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
  const logger = createLogger({ secrets, console: false, file: opts.logFile });
  const scheduler = new Scheduler({
    store,
    executor,
    config,
    log: logger.log,
    reap: async (d) => {
      reaped.push(d);
    },
    teardownBudgetMs: opts.budgetMs ?? 5_000,
    newId: () => `run-${++n}`,
    clock: opts.clock,
  });
  return { store, scheduler, children, reaped, dir, config, closeLog: logger.close };
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

  it("keeps the spec's na stages from the results, with who declared them (they have no stage-finished)", async () => {
    const { store, scheduler, children } = setup();
    const a = scheduler.enqueue(req('custom-html'));
    const lint = { name: 'lint', status: 'na', reason: 'checked upstream', naBy: 'recipe', checks: [] };
    const results = { verdict: 'pass', level: 1, headSha: 'abc123', durationMs: 1000, stages: [lint] };
    children[0]!.emit({ type: 'run-finished', exitCode: 0, results });
    await until('the run to finish', () => store.getRun(a.id)?.state === 'passed');
    expect(store.stagesOf(a.id)).toEqual([{ ...lint, advisory: false }]);
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

  it('an execution that ends without results but says why (a lost remote build) ends errored so', async () => {
    const { store, scheduler, children } = setup({ capacity: 1 });
    const run = scheduler.enqueue(req('custom-html'));
    children[0]!.vanish({ code: 'DRONE_BUILD_LOST', message: 'Drone build 7 on runner-a ended error' });
    await until('the run to end', () => store.getRun(run.id)?.state === 'errored');
    expect(store.getRun(run.id)?.error).toEqual({
      code: 'DRONE_BUILD_LOST',
      message: 'Drone build 7 on runner-a ended error',
    });
  });

  it('a stop of the server lets go of a run that goes on without it (a remote build): it stays running', async () => {
    const { store, scheduler, children } = setup({ capacity: 2 });
    const remote = scheduler.enqueue(req('custom-html'));
    const local = scheduler.enqueue(req('pg-app'));
    let detached = 0;
    children[0]!.detached = { detach: () => void detached++ };
    await scheduler.shutdown('SIGTERM');
    expect(detached).toBe(1);
    expect(children[0]!.signals).toEqual([]);
    expect(store.getRun(remote.id)?.state).toBe('running');
    expect(store.getRun(local.id)?.state).toBe('interrupted');
  });

  it('adopts a run found going after a restart: it takes a place and ends with its results', async () => {
    const { store, scheduler, children, config } = setup({ capacity: 1 });
    store.insertRun('remote', req('custom-html'));
    store.markRunning('remote', undefined);
    const execution = new FakeExecution(store.getRun('remote')!, config.store);
    scheduler.adopt(store.getRun('remote')!, execution);
    scheduler.enqueue(req('pg-app'));
    expect(children).toHaveLength(0);
    execution.finish('pass');
    await until('the queued run to start', () => children.length === 1);
    expect(store.getRun('remote')).toMatchObject({ state: 'passed', verdict: 'pass' });
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

describe('scheduler: drain (serve --drain, an upgrade without losing a run)', () => {
  const limitMs = 30 * 60_000;

  it('lets a running run finish, starts no queued one, and leaves the queued ones for the next start', async () => {
    const clock = new FakeClock('2026-03-01T12:00:00Z');
    const { store, scheduler, children, dir, config } = setup({ capacity: 1, clock });
    const running = scheduler.enqueue(req('custom-html'));
    const queued = scheduler.enqueue(req('pg-app'));
    const drained = scheduler.drain('SIGTERM', limitMs);
    expect(scheduler.drainState()).toEqual({ running: 1, until: new Date('2026-03-01T12:30:00Z') });
    // A comment that arrives while draining is queued, not started.
    const late = scheduler.enqueue(req('keycloak'));
    clock.advance(10 * 60_000);
    children[0]!.finish('pass');
    await drained;
    expect(children).toHaveLength(1);
    expect(children[0]!.signals).toEqual([]);
    expect(store.getRun(running.id)?.state).toBe('passed');
    expect(store.getRun(queued.id)?.state).toBe('queued');
    expect(store.getRun(late.id)?.state).toBe('queued');
    expect(scheduler.drainState()).toBeUndefined();
    expect(clock.pending).toBe(0); // neither the backstop nor the drain's limit is left behind
    store.close();
    // The next serve: recovery leaves queued runs alone, and the queue starts them.
    const again = new RunStore(join(dir, 'store', 'cc-ci.db'));
    const executor = new FakeExecutor(config.store);
    const log = createLogger({ secrets: new SecretRegistry(), console: false }).log;
    const teardownBudgetMs = 5_000;
    await recoverRuns({
      store: again,
      executor,
      log,
      teardownBudgetMs,
      reapOrphans: async () => undefined,
      adopt: () => undefined,
    });
    const next = new Scheduler({ store: again, executor, config, log, reap: async () => undefined, teardownBudgetMs });
    next.pump();
    expect(executor.started.map((e) => e.run.id)).toEqual([queued.id]);
    expect(again.getRun(late.id)?.state).toBe('queued');
    again.close();
  });

  it('at the limit stops what still runs the usual way: it tears down and ends interrupted', async () => {
    const clock = new FakeClock('2026-03-01T12:00:00Z');
    const logFile = join(mkdtempSync(join(tmpdir(), 'cc-ci-drain-log-')), 'serve.log');
    const { store, scheduler, children, closeLog } = setup({ capacity: 2, clock, logFile });
    const first = scheduler.enqueue(req('custom-html'));
    const second = scheduler.enqueue(req('pg-app'));
    const queued = scheduler.enqueue(req('keycloak'));
    const drained = scheduler.drain('SIGTERM', limitMs);
    children[0]!.finish('fail');
    await until('the first run to end', () => scheduler.drainState()?.running === 1);
    clock.advance(limitMs - 1);
    expect(children[1]!.signals).toEqual([]);
    clock.advance(1);
    await until('the stop at the limit', () => children[1]!.signals.length > 0);
    expect(children[1]!.signals).toEqual(['SIGTERM']);
    await drained;
    expect(store.getRun(first.id)?.state).toBe('failed');
    expect(store.getRun(second.id)).toMatchObject({
      state: 'interrupted',
      error: { code: 'CANCELLED', message: 'SIGTERM' },
    });
    expect(store.getRun(queued.id)?.state).toBe('queued');
    expect(children).toHaveLength(2);
    await closeLog();
    const lines = readFileSync(logFile, 'utf8');
    expect(lines).toContain('draining: 2 runs still going, at most 30 min more; send SIGTERM again to stop them now');
    expect(lines).toContain('draining: 1 run still going, at most 30 min more');
    expect(lines).toContain('draining: the limit of 30 min is up; stopping 1 run still going');
  });

  it('a run that does not tear down after the limit is killed after the teardown budget, as always', async () => {
    const clock = new FakeClock('2026-03-01T12:00:00Z');
    const { store, scheduler, children } = setup({ capacity: 1, budgetMs: 1_000, clock });
    const run = scheduler.enqueue(req('custom-html'));
    const drained = scheduler.drain('SIGTERM', limitMs);
    children[0]!.onStop = 'ignore';
    clock.advance(limitMs);
    await until('the stop at the limit', () => children[0]!.signals.length > 0);
    expect(children[0]!.signals).toEqual(['SIGTERM']);
    clock.advance(1_000);
    expect(children[0]!.signals).toEqual(['SIGTERM', 'SIGKILL']);
    await drained;
    expect(store.getRun(run.id)).toMatchObject({ state: 'interrupted', error: { code: 'CANCELLED' } });
  });

  it('a second stop during the drain stops the running runs at once', async () => {
    const clock = new FakeClock('2026-03-01T12:00:00Z');
    const { store, scheduler, children } = setup({ capacity: 1, clock });
    const run = scheduler.enqueue(req('custom-html'));
    const queued = scheduler.enqueue(req('pg-app'));
    const drained = scheduler.drain('SIGTERM', limitMs);
    clock.advance(60_000);
    const stopped = scheduler.shutdown('SIGTERM');
    expect(children[0]!.signals).toEqual(['SIGTERM']);
    await Promise.all([stopped, drained]);
    expect(store.getRun(run.id)).toMatchObject({
      state: 'interrupted',
      error: { code: 'CANCELLED', message: 'SIGTERM' },
    });
    expect(store.getRun(queued.id)?.state).toBe('queued');
    expect(scheduler.drainState()).toBeUndefined();
    expect(clock.pending).toBe(0);
  });

  it('with nothing running, stops at once and keeps the queue', async () => {
    const { store, scheduler } = setup({ capacity: 1 });
    const queued = store.insertRun('q', req('pg-app'), new Date());
    await scheduler.drain('SIGTERM', limitMs);
    expect(store.getRun(queued.id)?.state).toBe('queued');
    expect(scheduler.drainState()).toBeUndefined();
  });
});
