// Scheduled sweeps and default-branch pushes against the Gitea-compatible stand-in (testbed/forge/,
// real git repositories), the real gitea client, the real queue with a fake executor, and a clock
// moved by hand: a schedule a minute ahead queues every enrolled recipe once, pinned to its head;
// a recipe with a branch run already queued is not queued twice; a PR run queued during a sweep
// runs before the sweep's remaining runs; a firing missed while serve was down runs once at start,
// and a schedule's very first start runs nothing; the first sight of a repository whose recipe had
// a branch run is history, not a push.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cron } from 'croner';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Enrolment } from '../../../src/config/enrolment.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { createGiteaClient } from '../../../src/forge/gitea/client.js';
import type { ForgeClient } from '../../../src/forge/types.js';
import type { TriggeredRequest } from '../../../src/model/run.js';
import { sweepEtaMs } from '../../../src/model/sweep-progress.js';
import { Scheduler } from '../../../src/queue/scheduler.js';
import { RunStore } from '../../../src/queue/store.js';
import { PushRuns } from '../../../src/schedule/push-runs.js';
import { scheduleKey, Sweeper, type Schedule } from '../../../src/schedule/sweeps.js';
import { SecretRegistry } from '../../../src/secrets/secret-registry.js';
import { startForge, type Forge } from '../../../testbed/forge/server.js';
import { FakeClock } from '../../support/fake-clock.js';
import { FakeExecutor } from '../../support/fake-executor.js';

const REPOS = ['coop-cloud/custom-html', 'coop-cloud/keycloak', 'coop-cloud/pg-app'];
const NIGHTLY: Schedule = { cron: '0 3 * * *', run: 'all' };
const log = pino({ level: 'silent' });

let forge: Forge;
let client: ForgeClient;
const heads: Record<string, string> = {};

beforeAll(async () => {
  forge = await startForge({ seed: 'demo' });
  await forge.control.importFixture('custom-html', { owner: 'coop-cloud', name: 'keycloak' });
  await forge.control.importFixture('pg-app', { owner: 'coop-cloud' });
  client = createGiteaClient({ url: forge.url, token: forge.seeded!.tokens['cc-ci-bot']!, retries: 0 });
  for (const repo of REPOS) heads[repo] = (await forge.control.handle(repo)).head;
});

afterAll(async () => {
  await forge?.close();
});

/** The first firing of the nightly schedule after 2026-01-01, whatever the machine's time zone. */
const firing = new Cron(NIGHTLY.cron, { paused: true }).nextRun(new Date('2026-01-01T00:00:00Z'))!;

function setup(opts: { capacity?: number; at?: Date; dir?: string } = {}) {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'cc-ci-sweeps-'));
  mkdirSync(join(dir, 'abra', 'servers', 'default'), { recursive: true });
  writeFileSync(
    join(dir, 'cc-ci.yml'),
    'swarm: {server: default, domain: ci.test, abraDir: ./abra}\n' +
      `runner: {capacity: ${opts.capacity ?? 1}}\nstore: ./store\n`,
  );
  const config = loadConfig({ path: join(dir, 'cc-ci.yml'), secrets: new SecretRegistry() });
  const clock = new FakeClock((opts.at ?? new Date(firing.getTime() - 60_000)).toISOString());
  const store = new RunStore(join(dir, 'store', 'cc-ci.db'));
  const executor = new FakeExecutor(config.store);
  let n = 0;
  const scheduler = new Scheduler({
    store,
    executor,
    config,
    log,
    clock,
    reap: async () => undefined,
    teardownBudgetMs: 5_000,
    newId: () => `run-${++n}`,
  });
  const enrolment = new Enrolment(REPOS);
  const sweeper = new Sweeper({
    schedules: [NIGHTLY],
    repos: enrolment,
    store,
    runs: scheduler,
    forge: client,
    log,
    clock,
  });
  return { dir, store, scheduler, executor, clock, sweeper, enrolment };
}

async function until<T>(what: string, probe: () => T | undefined, ms = 10_000): Promise<T> {
  for (const deadline = Date.now() + ms; ;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sweepRuns = (store: RunStore) => store.listRuns().filter((r) => r.trigger.kind === 'sweep');

const branchRun = (recipe: string, kind: TriggeredRequest['trigger']['kind'] = 'api'): TriggeredRequest => ({
  recipe,
  repo: `file:///srv/${recipe}`,
  ref: 'main',
  stages: [],
  keep: false,
  trigger: { kind },
});

describe('scheduled sweeps', () => {
  it('runs the enrolment as it is at the firing; a named recipe not enrolled then is left out, saying so', async () => {
    const { store, sweeper, enrolment } = setup({ capacity: 3 });
    enrolment.configure(['coop-cloud/custom-html'], ['coop-cloud']);
    enrolment.discovered('coop-cloud', ['coop-cloud/pg-app']);
    const outcome = await sweeper.sweep({ cron: '0 3 * * *', run: ['pg-app', 'keycloak'] });
    expect(outcome.queued).toEqual(['pg-app']);
    expect(outcome.skipped).toEqual([{ recipe: 'keycloak', why: 'not an enrolled repository (forge.repos)' }]);
    expect(sweepRuns(store).map((r) => r.recipe)).toEqual(['pg-app']);
  });

  it('a schedule a minute ahead queues every enrolled recipe once, each pinned to its head', async () => {
    const { store, clock, sweeper } = setup({ capacity: 3 });
    sweeper.start();
    clock.advance(59_000);
    expect(sweepRuns(store)).toHaveLength(0);
    clock.advance(1_000);
    await until('the sweep', () => sweepRuns(store).length === 3);
    const runs = sweepRuns(store);
    expect(runs.map((r) => r.recipe).sort()).toEqual(['custom-html', 'keycloak', 'pg-app']);
    for (const r of runs) expect(r.sha).toBe(heads[`coop-cloud/${r.recipe}`]);
    expect(new Set(runs.map((r) => r.trigger.sweep)).size).toBe(1);
    expect(store.recentSweeps()[0]).toMatchObject({ total: 3, done: 0, active: 3, schedule: scheduleKey(NIGHTLY) });
    // A minute later nothing fires again: the next firing is a day away.
    clock.advance(60_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(sweepRuns(store)).toHaveLength(3);
    await sweeper.stop();
  });

  it('leaves out a recipe that already has a branch run queued or running', async () => {
    const { store, scheduler, sweeper } = setup({ capacity: 1 });
    scheduler.enqueue(branchRun('pg-app')); // running
    scheduler.enqueue(branchRun('keycloak', 'push')); // queued behind it
    const outcome = await sweeper.sweep(NIGHTLY);
    expect(outcome.queued).toEqual(['custom-html']);
    expect(outcome.skipped.map((s) => s.recipe).sort()).toEqual(['keycloak', 'pg-app']);
    expect(sweepRuns(store).map((r) => r.recipe)).toEqual(['custom-html']);
    // A second firing while the first one's run is still queued queues nothing more.
    expect((await sweeper.sweep(NIGHTLY)).queued).toEqual([]);
    expect(sweepRuns(store)).toHaveLength(1);
  });

  it("a PR's !testme queued during a sweep runs before the sweep's remaining runs", async () => {
    const { store, scheduler, executor, sweeper } = setup({ capacity: 1 });
    await sweeper.sweep(NIGHTLY);
    expect(executor.started).toHaveLength(1);
    const pr = scheduler.enqueue({
      recipe: 'pg-app',
      repo: 'file:///srv/pg-app',
      ref: 'refs/pull/4/head',
      pr: 4,
      stages: [],
      keep: false,
      trigger: { kind: 'forge', by: 'maintainer', forgeRepo: 'coop-cloud/pg-app', commentId: 9 },
    });
    expect(scheduler.queuePosition(pr.id)).toBe(1);
    executor.started[0]!.finish('pass');
    const second = await until('the next run', () => executor.started[1]);
    expect(second.run.id).toBe(pr.id);
    // The sweep's progress: one of three done, two to go; the ETA follows the measured rate.
    const [sweep] = store.recentSweeps();
    expect(sweep).toMatchObject({ total: 3, done: 1, active: 2 });
    expect(sweepEtaMs({ ...sweep!, startedAt: '2026-01-01T03:00:00Z' }, Date.parse('2026-01-01T03:10:00Z'))).toBe(
      20 * 60_000,
    );
    second.finish('pass');
    const third = await until('the next sweep run', () => executor.started[2]);
    expect(third.run.trigger.kind).toBe('sweep');
  });

  it('a firing missed while serve was down runs once at start; a first start runs nothing', async () => {
    // The first start of the schedule, before the firing: it only notes the time.
    const first = setup({ capacity: 3 });
    first.sweeper.start();
    await first.sweeper.stop();
    expect(sweepRuns(first.store)).toHaveLength(0);
    expect(first.store.lastFiring(scheduleKey(NIGHTLY))).toBeDefined();
    first.store.close();
    // Down for two days (two firings missed): the next start runs one sweep, now.
    const later = setup({ capacity: 3, dir: first.dir, at: new Date(firing.getTime() + 2 * 86_400_000 + 3_600_000) });
    later.sweeper.start();
    await until('the missed sweep', () => sweepRuns(later.store).length === 3);
    await later.sweeper.stop();
    expect(later.store.recentSweeps()).toHaveLength(1);
    later.store.close();
    // Started again before the next firing: nothing was missed.
    const again = setup({ capacity: 3, dir: first.dir, at: new Date(firing.getTime() + 2 * 86_400_000 + 7_200_000) });
    again.sweeper.start();
    await new Promise((r) => setTimeout(r, 300));
    await again.sweeper.stop();
    expect(again.store.recentSweeps()).toHaveLength(1);
  });
});

describe('default-branch runs on push', () => {
  it('the first sight of a repository whose recipe had a branch run is history; a moved head is a run', async () => {
    const { store, scheduler } = setup({ capacity: 1 });
    scheduler.enqueue(branchRun('keycloak'));
    const pushes = new PushRuns({ store, runs: scheduler, forge: client, log });
    expect(await pushes.check('coop-cloud/keycloak')).toBeUndefined();
    expect(await pushes.check('coop-cloud/keycloak')).toBeUndefined();
    const sha = await forge.control.commitOnBranch('coop-cloud/keycloak', 'main', { 'marker.txt': 'x\n' }, 'x');
    const run = await pushes.check('coop-cloud/keycloak');
    expect(run).toMatchObject({ recipe: 'keycloak', ref: 'main', sha, trigger: { kind: 'push' } });
    expect(await pushes.check('coop-cloud/keycloak')).toBeUndefined();
  });
});
