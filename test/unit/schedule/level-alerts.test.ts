// Level-change alerts and the commit statuses of default-branch runs, against the stand-in forge
// (testbed/forge, real HTTP) with a run control that runs nothing: runs are ended in the store as
// the scheduler ends them. A drop opens one issue with the failing stage, a further failure
// updates it, a pass closes it with a comment; an `error` never acts; a forge that is down loses
// nothing; an issue closed by hand is forgotten.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../../src/config/load-config.js';
import { createGiteaClient } from '../../../src/forge/gitea/client.js';
import type { ForgeClient } from '../../../src/forge/types.js';
import type { Verdict } from '../../../src/model/stage.js';
import { RunStore } from '../../../src/queue/store.js';
import { BranchStatuses } from '../../../src/schedule/branch-statuses.js';
import { LevelAlerts, type LevelAlertEvent } from '../../../src/schedule/level-alerts.js';
import { SecretRegistry } from '../../../src/secrets/secret-registry.js';
import { startForge, type Forge } from '../../../testbed/forge/main.js';
import { FakeRunControl } from '../../support/fake-run-control.js';

const RECIPES = ['alert-a', 'alert-b', 'alert-c', 'alert-d', 'alert-e'];
let forge: Forge;
let root: string;
let client: ForgeClient;
let config: Config;
let store: RunStore;
let runs: FakeRunControl;
let alerts: LevelAlerts;
let told: LevelAlertEvent[];
const heads = new Map<string, string>();
let clock = Date.parse('2026-12-01T00:00:00Z');

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'cc-ci-alerts-'));
  forge = await startForge({ seed: 'demo' });
  for (const name of RECIPES) await forge.control.importFixture('custom-html', { owner: 'coop-cloud', name });
  const token = forge.control.tokens()['cc-ci-bot']!;
  writeFileSync(
    join(root, 'cc-ci.yml'),
    [
      `forge: {type: gitea, url: ${forge.url}, org: coop-cloud, repos: [${RECIPES.map((r) => `coop-cloud/${r}`)}]}`,
      'swarm: {server: default, domain: ci.test, abraDir: ./abra}',
      'store: ./store',
      'dashboard: {publicUrl: https://ci.example.org}',
    ].join('\n'),
  );
  config = loadConfig({
    path: join(root, 'cc-ci.yml'),
    env: { CCCI_FORGE_TOKEN: token },
    secrets: new SecretRegistry(),
  });
  // Retries without pauses: a test that makes the forge fail need not wait for the back-off.
  client = createGiteaClient({ url: forge.url, token, sleep: async () => {} });
  for (const name of RECIPES) heads.set(name, (await client.defaultBranchHead(`coop-cloud/${name}`)).sha);
});

function follow(retryMs = 30_000): void {
  store = new RunStore(':memory:');
  runs = new FakeRunControl(store, config.store, { idPrefix: 'run' });
  told = [];
  alerts = new LevelAlerts({
    config,
    store,
    runs,
    forge: client,
    log: pino({ level: 'silent' }),
    retryMs,
    notify: (e) => told.push(e),
  });
}

afterEach(() => {
  alerts?.close();
  store?.close();
  forge.control.clearFault();
});

afterAll(async () => {
  await forge?.close();
  rmSync(root, { recursive: true, force: true });
});

const STATES = { pass: 'passed', fail: 'failed', error: 'errored' } as const;

/** A default-branch run of `recipe` (as a push queues it) that ends with this verdict and level. */
async function branchRun(
  recipe: string,
  verdict: Verdict,
  level: number,
  opts: { pr?: number; started?: () => Promise<void> } = {},
) {
  const repo = `coop-cloud/${recipe}`;
  const sha = heads.get(recipe)!;
  const run = runs.enqueue({
    recipe,
    repo: client.cloneUrl(repo),
    ref: opts.pr ? `refs/pull/${opts.pr}/head` : 'main',
    sha,
    pr: opts.pr,
    stages: [],
    keep: false,
    trigger: { kind: 'push', forgeRepo: repo },
  });
  store.markRunning(run.id, 1);
  runs.emit(store.getRun(run.id)!);
  await opts.started?.();
  if (verdict === 'fail')
    store.recordStage(run.id, {
      name: 'install',
      status: 'fail',
      reason: 'a check failed',
      checks: [{ name: 'GET / shows the marker', status: 'fail', detail: 'the page said "oops", not the marker' }],
    });
  clock += 60_000;
  const error =
    verdict === 'error' ? { code: 'DOCKER_FAILED' as const, message: 'the Docker Engine went away' } : undefined;
  runs.finish(run.id, { state: STATES[verdict], verdict, level, sha, error }, new Date(clock));
  await alerts.settled();
  return store.getRun(run.id)!;
}

const issuesOf = (recipe: string) => forge.control.issues(`coop-cloud/${recipe}`);

describe('level-change alerts', () => {
  it('a drop from pass L5 opens one issue naming the failing stage, a failure edits it, a pass closes it', async () => {
    follow();
    await branchRun('alert-a', 'pass', 5);
    expect(issuesOf('alert-a')).toHaveLength(0);

    const dropped = await branchRun('alert-a', 'fail', 1);
    let issues = issuesOf('alert-a');
    expect(issues).toHaveLength(1);
    expect(issues[0]!.title).toBe('cc-ci: alert-a dropped from L5 to L1');
    expect(issues[0]!.state).toBe('open');
    expect(issues[0]!.body).toContain('Failing stage: **install**');
    expect(issues[0]!.body).toContain('the page said "oops"');
    expect(issues[0]!.body).toContain(`https://ci.example.org/runs/${dropped.id}`);
    expect(issues[0]!.user?.login).toBe('cc-ci-bot');
    expect(store.levelAlert('alert-a')).toMatchObject({
      issue: issues[0]!.number,
      baseline: { verdict: 'pass', level: 5 },
    });

    const again = await branchRun('alert-a', 'fail', 0);
    issues = issuesOf('alert-a');
    expect(issues).toHaveLength(1);
    expect(issues[0]!.title).toBe('cc-ci: alert-a dropped from L5 to L0');
    expect(issues[0]!.body).toContain(`/runs/${again.id}`);

    // An error between says nothing of the recipe: the issue stays as it was.
    await branchRun('alert-a', 'error', 0);
    expect(issuesOf('alert-a')).toEqual(issues);

    const back = await branchRun('alert-a', 'pass', 5);
    issues = issuesOf('alert-a');
    expect(issues).toHaveLength(1);
    expect(issues[0]!.state).toBe('closed');
    expect(issues[0]!.commentBodies).toHaveLength(1);
    expect(issues[0]!.commentBodies[0]).toContain('alert-a is back: pass L5');
    expect(issues[0]!.commentBodies[0]).toContain(`/runs/${back.id}`);
    expect(store.levelAlert('alert-a')).toBeUndefined();
    expect(store.alertWork()).toEqual([]);
    expect(told.map((e) => [e.event, e.level, e.previousLevel])).toEqual([
      ['level-dropped', 1, 5],
      ['level-changed', 0, 1],
      ['level-back', 5, 5],
    ]);
    expect(told[0]).toMatchObject({
      recipe: 'alert-a',
      repo: 'coop-cloud/alert-a',
      verdict: 'fail',
      runUrl: `https://ci.example.org/runs/${dropped.id}`,
      issueUrl: issues[0]!.html_url,
    });
  });

  it('an error never opens an issue, and the run before it is what the next run is compared with', async () => {
    follow();
    await branchRun('alert-b', 'pass', 5);
    await branchRun('alert-b', 'error', 0);
    expect(issuesOf('alert-b')).toHaveLength(0);
    // pass L5, error, pass L5: nothing dropped.
    await branchRun('alert-b', 'pass', 5);
    expect(issuesOf('alert-b')).toHaveLength(0);
    // A PR run is no default-branch run: it never alerts.
    await branchRun('alert-b', 'fail', 0, { pr: 1 });
    expect(issuesOf('alert-b')).toHaveLength(0);
    expect(told).toEqual([]);
    // The follower is listening all along: a real drop of the default branch opens one.
    await branchRun('alert-b', 'fail', 4);
    expect(issuesOf('alert-b').map((i) => i.title)).toEqual(['cc-ci: alert-b dropped from L5 to L4']);
    await branchRun('alert-b', 'pass', 5);
  });

  it('a forge that is down loses no alert: it is tried again, and opens one issue', async () => {
    follow(50);
    await branchRun('alert-c', 'pass', 5);
    forge.control.fault({ mode: '500', forMs: 60_000 });
    const dropped = await branchRun('alert-c', 'fail', 2);
    expect(store.alertWork()).toEqual([{ runId: dropped.id, recipe: 'alert-c' }]);
    forge.control.clearFault();
    await expect.poll(() => store.alertWork(), { timeout: 5000 }).toEqual([]);
    await alerts.settled();
    expect(issuesOf('alert-c').map((i) => i.title)).toEqual(['cc-ci: alert-c dropped from L5 to L2']);
  });

  it("serve's next start sends what was left undone", async () => {
    follow();
    await branchRun('alert-d', 'pass', 5);
    forge.control.fault({ mode: '500', forMs: 60_000 });
    await branchRun('alert-d', 'fail', 3);
    forge.control.clearFault();
    // A new follower on the same store, as serve's next start makes one.
    alerts.close();
    alerts = new LevelAlerts({ config, store, runs, forge: client, log: pino({ level: 'silent' }) });
    alerts.resume();
    await alerts.settled();
    expect(issuesOf('alert-d')).toHaveLength(1);
    expect(store.alertWork()).toEqual([]);
  });

  it('an issue closed by hand is forgotten: the same level says nothing, the next drop opens a new issue', async () => {
    follow();
    await branchRun('alert-e', 'pass', 5);
    await branchRun('alert-e', 'fail', 3);
    const first = issuesOf('alert-e')[0]!;
    forge.control.setIssueState('coop-cloud/alert-e', first.number!, 'closed');

    await branchRun('alert-e', 'fail', 3);
    expect(store.levelAlert('alert-e')).toBeUndefined();
    expect(issuesOf('alert-e')).toHaveLength(1);

    await branchRun('alert-e', 'fail', 1);
    const issues = issuesOf('alert-e');
    expect(issues).toHaveLength(2);
    expect(issues[1]!.title).toBe('cc-ci: alert-e dropped from L3 to L1');
    expect(issues[1]!.state).toBe('open');
  });
});

describe('commit statuses of default-branch runs', () => {
  it('a push run sets the cc-ci status on its commit when it starts and when it ends', async () => {
    follow();
    const statuses = new BranchStatuses({ config, store, runs, forge: client, log: pino({ level: 'silent' }) });
    try {
      const run = await branchRun('alert-a', 'fail', 2, { started: () => statuses.settled() });
      await statuses.settled();
      const list = await client.listStatuses('coop-cloud/alert-a', run.sha!);
      const ours = list.filter((s) => s.context === 'cc-ci').map((s) => [s.status, s.description, s.target_url]);
      expect(ours).toEqual([
        ['failure', 'fail, level L2', `https://ci.example.org/runs/${run.id}`],
        ['pending', 'running', `https://ci.example.org/runs/${run.id}`],
      ]);
      expect(store.branchStatus(run.id)).toMatchObject({ final: true });
      // A PR run's status is the bridge's, not this follower's.
      const before = (await client.listStatuses('coop-cloud/alert-a', run.sha!)).length;
      await branchRun('alert-a', 'pass', 5, { pr: 1 });
      await statuses.settled();
      expect(await client.listStatuses('coop-cloud/alert-a', run.sha!)).toHaveLength(before);
    } finally {
      statuses.close();
    }
  });

  it('a final status the forge refused is set at the next start', async () => {
    follow();
    const log = pino({ level: 'silent' });
    let statuses = new BranchStatuses({ config, store, runs, forge: client, log });
    forge.control.fault({ mode: '500', forMs: 60_000 });
    const run = await branchRun('alert-b', 'pass', 5);
    await statuses.settled();
    statuses.close();
    forge.control.clearFault();
    expect(store.unfinishedBranchStatuses()).toEqual([run.id]);
    statuses = new BranchStatuses({ config, store, runs, forge: client, log });
    statuses.resume();
    await statuses.settled();
    statuses.close();
    const ours = (await client.listStatuses('coop-cloud/alert-b', run.sha!)).filter((s) => s.context === 'cc-ci');
    expect(ours[0]).toMatchObject({ status: 'success', description: expect.stringMatching(/^pass, level L5/) });
    expect(store.unfinishedBranchStatuses()).toEqual([]);
  });
});
