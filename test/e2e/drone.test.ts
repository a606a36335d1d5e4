// Runs through Drone, end to end: a real `cc-ci serve` with `runner.executor: drone` and the
// stand-in forge hands each run to the stand-in Drone (testbed/drone/), whose two exec runners
// `host-a` and `host-b` play two runner hosts (each its own cc-ci.yml, store, leases and ABRA_DIR,
// both deploying to the one testbed swarm with this file's lane domain). The runner repository's
// `.drone.yml` is what `cc-ci drone pipeline` prints for this build's cc-ci. A `!testme` through
// Drone ends like a local run (reply, status, page, artifacts, badge) and survives a SIGKILL of
// serve; two runs land on the two hosts; cancel and supersede end `cancelled`/`superseded`; a
// runner host that dies mid-build ends its run `errored` (DRONE_BUILD_LOST naming it), and that
// host's janitor leaves nothing. Each runner takes one build at a time, so two runs at once are on
// two hosts. About 115 s on the 2-core test machine.
import { chmodSync, cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Comment, CommitStatus } from 'gitea-js';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDrone, type Drone } from '../../testbed/drone/main.js';
import { startForge, type Forge } from '../../testbed/forge/server.js';
import { cli, lane, testStacks, waitFor } from './helpers.js';
import {
  adminToken,
  api,
  finished,
  runUntil,
  serveConfig,
  startServe,
  type ApiRun,
  type ServeInstance,
} from './serve-helpers.js';

const REPO = 'coop-cloud/custom-html';
const RUNNER_REPO = 'ops/cc-ci-runner';
const INGEST_SECRET = 'e2e-ingest-secret-0123456789abcdef';
const TESTBED_ABRA_DIR = '/var/lib/cc-ci-testbed/abra';
const HOSTS = ['host-a', 'host-b'] as const;
type Host = (typeof HOSTS)[number];

let forge: Forge;
let drone: Drone;
let serve: ServeInstance;
/** Each runner host's own cc-ci.yml and store. */
const runners = {} as Record<Host, { config: string; store: string }>;

/** A runner host's config: the lane's swarm and domain, its own store (runs, leases) and its own abra dir. */
function runnerHost(name: Host): { config: string; store: string } {
  const dir = mkdtempSync(`/tmp/cc-ci-e2e-drone-${name}-`);
  const abraDir = join(dir, 'abra');
  cpSync(TESTBED_ABRA_DIR, abraDir, { recursive: true });
  const doc = parse(readFileSync(lane.config, 'utf8'));
  doc.store = join(dir, 'store');
  doc.swarm.abraDir = abraDir;
  const config = join(dir, 'cc-ci.yml');
  writeFileSync(config, stringify(doc));
  return { config, store: doc.store };
}

beforeAll(async () => {
  forge = await startForge({ seed: 'demo' });
  // The runner repository: the pipeline for this build's cc-ci (the build does not mark it executable).
  chmodSync(cli, 0o755);
  const runnerRepo = mkdtempSync('/tmp/cc-ci-e2e-runner-repo-');
  const pipeline = await execa(process.execPath, [cli, 'drone', 'pipeline', '--cc-ci', cli]);
  writeFileSync(join(runnerRepo, '.drone.yml'), pipeline.stdout);

  drone = await startDrone({ pollMs: 50 });
  drone.control.addRepo(RUNNER_REPO, runnerRepo);
  drone.control.setSecret(RUNNER_REPO, 'ccci_ingest_secret', INGEST_SECRET);
  for (const host of HOSTS) {
    runners[host] = runnerHost(host);
    drone.control.addRunner({ name: host, capacity: 1, env: { CCCI_CONFIG: runners[host].config } });
  }

  const cfg = await serveConfig({ capacity: 2 });
  const secrets = mkdtempSync('/tmp/cc-ci-e2e-drone-secrets-');
  writeFileSync(join(secrets, 'drone_token'), drone.token, { mode: 0o600 });
  writeFileSync(join(secrets, 'ingest_secret'), INGEST_SECRET, { mode: 0o600 });
  const doc = parse(readFileSync(cfg.file, 'utf8'));
  doc.runner.executor = 'drone';
  doc.runner.drone = {
    url: drone.url,
    tokenFile: join(secrets, 'drone_token'),
    repo: RUNNER_REPO,
    ingestSecretFile: join(secrets, 'ingest_secret'),
    silenceLimit: '15s',
  };
  // How a run goes through Drone is under test, not the stages: install alone keeps each run short.
  doc.runner.stages = ['install'];
  doc.forge = { type: 'gitea', url: forge.url, org: 'coop-cloud', repos: [REPO], pollInterval: '1s', pushRuns: false };
  writeFileSync(cfg.file, stringify(doc));
  serve = await startServe(cfg, { CCCI_FORGE_TOKEN: forge.seeded!.tokens['cc-ci-bot']! });
}, 120_000);

afterAll(async () => {
  serve?.process.kill('SIGTERM');
  await serve?.process;
  await drone?.close();
  await forge?.close();
});

async function forgeApi<T>(path: string): Promise<T> {
  const res = await fetch(`${forge.url}/api/v1${path}`, {
    headers: { authorization: `token ${forge.seeded!.tokens.maintainer}` },
  });
  return res.json() as Promise<T>;
}

const botComments = async (pr: number) =>
  (await forgeApi<Comment[]>(`/repos/${REPO}/issues/${pr}/comments`)).filter((c) => c.user?.login === 'cc-ci-bot');
const runsOf = async () =>
  (await api<{ runs: Array<ApiRun & { pr?: number; sha?: string }> }>(serve.url, '/api/runs')).body.runs;

async function newPr(branch: string): Promise<{ pr: number; sha: string }> {
  const sha = await forge.control.commitOnBranch(REPO, branch, { 'marker.txt': `${branch}\n` }, `PR ${branch}`);
  const pull = await forge.control.createPullRequest({ repo: REPO, head: branch, title: branch, author: 'maintainer' });
  return { pr: pull.number!, sha };
}

const testme = (pr: number) => forge.control.comment({ repo: REPO, index: pr, author: 'maintainer', body: '!testme' });

/** The runs of a PR, newest last, once there are `n`. */
async function runsOfPr(pr: number, n = 1): Promise<ApiRun[]> {
  return waitFor(
    `${n} run(s) of PR #${pr}`,
    async () => {
      const runs = (await runsOf()).filter((r) => r.pr === pr);
      return runs.length >= n ? runs : undefined;
    },
    60_000,
  );
}

/** The Drone build serve made for a run (its number is in the run's folder on serve), once a runner took it. */
async function buildOf(runId: string): Promise<{ number: number; machine: Host; status: string }> {
  return waitFor(
    `a runner host to take run ${runId}'s build`,
    async () => {
      let number: number;
      try {
        number = JSON.parse(readFileSync(join(serve.store, 'runs', runId, 'drone-build.json'), 'utf8')).number;
      } catch {
        return undefined;
      }
      const res = await fetch(`${drone.url}/api/repos/${RUNNER_REPO}/builds/${number}`, {
        headers: { authorization: `Bearer ${drone.token}` },
      });
      const build = (await res.json()) as { status: string; stages?: Array<{ machine?: string }> };
      const machine = build.stages?.[0]?.machine;
      return machine ? { number, machine: machine as Host, status: build.status } : undefined;
    },
    60_000,
  );
}

/** The run's events on serve hold its run-started (the child on the runner host has begun). */
async function started(runId: string): Promise<void> {
  await waitFor(
    `run ${runId}'s run-started on serve`,
    async () => {
      try {
        return readFileSync(join(serve.store, 'runs', runId, 'events.jsonl'), 'utf8').includes('"run-started"')
          ? true
          : undefined;
      } catch {
        return undefined;
      }
    },
    60_000,
  );
}

const noLaneStacks = () =>
  waitFor('no stacks of the lane on the swarm', async () => (await testStacks()).length === 0 || undefined, 60_000);

describe('runs through Drone', () => {
  it('a !testme runs on a runner host, survives a SIGKILL of serve, and ends like a local run', async () => {
    const { pr, sha } = await newPr('drone-pass');
    testme(pr);
    const [run] = await runsOfPr(pr);
    const build = await buildOf(run!.id);
    expect(HOSTS).toContain(build.machine);
    await started(run!.id);

    // serve dies mid-run and comes back on the same store: it follows the build again.
    serve.process.kill('SIGKILL');
    await serve.process;
    serve = await serve.restart();

    const ended = await runUntil(serve.url, run!.id, finished);
    expect(ended).toMatchObject({ state: 'passed', verdict: 'pass' });
    const reply = await waitFor(
      'the reply edited to the verdict',
      async () => {
        const c = await botComments(pr);
        return c[0]?.body?.includes('passed') && c[0].body.includes('card.png') ? c : undefined;
      },
      30_000,
    );
    expect(reply).toHaveLength(1);
    expect(reply[0]!.body).toContain(`${serve.url}/runs/${run!.id}`);
    expect(reply[0]!.body).toMatch(/\| install \| ✅ pass/);
    const statuses = await forgeApi<CommitStatus[]>(`/repos/${REPO}/statuses/${sha}`);
    expect(statuses[0]).toMatchObject({ context: 'cc-ci', status: 'success' });
    const page = await fetch(`${serve.url}/runs/${run!.id}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('passed');
    const results = JSON.parse(
      readFileSync(join(serve.store, 'runs', run!.id, 'artifacts', 'results.json'), 'utf8'),
    ) as { verdict: string; recipe: string; stages: Array<{ name: string; status: string }> };
    expect(results).toMatchObject({ verdict: 'pass', recipe: 'custom-html' });
    // serve's runner.stages, not the runner host's (whose config names every stage).
    expect(results.stages.filter((s) => s.status !== 'skip').map((s) => s.name)).toEqual(['install']);
    // Nothing of the log was lost across the restart: serve's copy is the runner host's, byte for byte.
    const served = readFileSync(join(serve.store, 'runs', run!.id, 'artifacts', 'run.log'));
    const onHost = readFileSync(join(runners[build.machine].store, 'runs', run!.id, 'artifacts', 'run.log'));
    expect(served.length).toBeGreaterThan(0);
    expect(served.equals(onHost)).toBe(true);
    await noLaneStacks();
  }, 300_000);

  it('two runs at once land on the two runner hosts, and each tears down on its own', async () => {
    const one = await newPr('drone-one');
    testme(one.pr);
    // The other is a run of the default branch through the API: the badge follows branch runs.
    const { default_branch: branch } = await forgeApi<{ default_branch: string }>(`/repos/${REPO}`);
    const queued = await api<ApiRun>(serve.url, '/api/runs', {
      method: 'POST',
      token: adminToken,
      body: { recipe: 'custom-html', ref: branch },
    });
    expect(queued.status).toBeLessThan(300);
    const [a] = await runsOfPr(one.pr);
    const b = queued.body;
    const machines = [(await buildOf(a!.id)).machine, (await buildOf(b!.id)).machine].sort();
    expect(machines).toEqual(['host-a', 'host-b']);
    await waitFor(
      'both hosts in /metrics',
      async () => {
        const text = await (await fetch(`${serve.url}/metrics`)).text();
        return /ccci_runs_running_by_host\{[^}]*host="host-a"[^}]*\} 1/.test(text) &&
          /ccci_runs_running_by_host\{[^}]*host="host-b"[^}]*\} 1/.test(text)
          ? true
          : undefined;
      },
      30_000,
    );
    for (const r of [a!, b]) expect(await runUntil(serve.url, r.id, finished)).toMatchObject({ verdict: 'pass' });
    const badge = await (await fetch(`${serve.url}/badge/custom-html.svg`)).text();
    expect(badge).not.toContain('no runs');
    await noLaneStacks();
  }, 300_000);

  it('cancel and supersede through Drone end cancelled and superseded, never failed', async () => {
    const cancelPr = await newPr('drone-cancel');
    const supersedePr = await newPr('drone-supersede');
    testme(cancelPr.pr);
    testme(supersedePr.pr);
    const [toCancel] = await runsOfPr(cancelPr.pr);
    const [first] = await runsOfPr(supersedePr.pr);
    await Promise.all([started(toCancel!.id), started(first!.id)]);

    const cancel = await api(serve.url, `/api/runs/${toCancel!.id}/cancel`, {
      method: 'POST',
      token: adminToken,
      body: {},
    });
    expect(cancel.status).toBeLessThan(300);
    testme(supersedePr.pr);
    const cancelled = await runUntil(serve.url, toCancel!.id, finished);
    expect(cancelled.state).toBe('cancelled');
    const superseded = await runUntil(serve.url, first!.id, finished);
    expect(superseded.state).toBe('superseded');
    const second = superseded.supersededBy!;
    expect(await runUntil(serve.url, second, finished)).toMatchObject({ verdict: 'pass' });
    await noLaneStacks();
  }, 300_000);

  it('a runner host that dies mid-build: its run errors naming it, and its janitor leaves nothing', async () => {
    const one = await newPr('drone-lost-a');
    const two = await newPr('drone-lost-b');
    testme(one.pr);
    testme(two.pr);
    const runs = [(await runsOfPr(one.pr))[0]!, (await runsOfPr(two.pr))[0]!];
    const builds = await Promise.all(runs.map((r) => buildOf(r.id)));
    const lost = runs[builds.findIndex((b) => b.machine === 'host-b')]!;
    const other = runs.find((r) => r !== lost)!;
    await started(lost.id);

    const kill = await fetch(`${drone.url}/_testbed/runners/host-b/kill`, { method: 'POST' });
    expect(kill.ok).toBe(true);
    const ended = await runUntil(serve.url, lost.id, finished, 120_000);
    expect(ended.state).toBe('errored');
    expect(ended.error?.code).toBe('DRONE_BUILD_LOST');
    expect(ended.error?.message).toContain('host-b');
    expect(await runUntil(serve.url, other.id, finished)).toMatchObject({ verdict: 'pass' });

    // What the dead host left is its own janitor's.
    const janitor = await execa(
      process.execPath,
      [cli, 'janitor', '--config', runners['host-b'].config, '--max-age', '0'],
      {
        reject: false,
      },
    );
    expect(janitor.exitCode).toBe(0);
    await noLaneStacks();
  }, 300_000);
});
