// The runner's phase rules with the shared fakes of test/support (Docker, abra, the lease) and
// stages of the test's own: skip versus na versus error, --keep, a broken upgrade beside a
// passing install, a stop in the middle of a stage, a refused run, parallel and serial
// scheduling, and the events file. A real (local) git repository is cloned, as a run does;
// nothing touches Docker.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../../src/config/load-config.js';
import { CcciError, RecipeFailure } from '../../../src/model/errors.js';
import { createLogger } from '../../../src/log/create-logger.js';
import { finishStage } from '../../../src/model/blame.js';
import type { StageName, StageResult } from '../../../src/model/stage.js';
import { eventsFile, parseEvents, type RunEventLine } from '../../../src/model/run-events.js';
import { createRunDir } from '../../../src/runner/run-dir.js';
import { runRecipe, type RunOutcome } from '../../../src/runner/run-recipe.js';
import type { RunInput } from '../../../src/runner/prepare.js';
import { lifecycle, type StageDef, type StageScope } from '../../../src/runner/stage-table.js';
import { SecretRegistry } from '../../../src/secrets/secret-registry.js';
import { commitOnBranch, makeFixtureRepos, type FixtureRepo } from '../../../testbed/fixtures/make-recipes.js';
import { GIT_ENV } from '../../../testbed/forge/git.js';
import { FakeAbraPort, type AbraCallRecord, type AbraMethod } from '../../support/fake-abra-port.js';
import { FakeLease } from '../../support/fake-lease.js';
import { FakeSwarm } from '../../support/fake-swarm.js';

let root: string;
let repo: FixtureRepo;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'cc-ci-phases-'));
  repo = (await makeFixtureRepos(join(root, 'repos'), ['custom-html']))['custom-html']!;
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** What the fakes saw. */
interface Seen {
  undeployed: string[];
  removed: string[];
  claimed: string[];
  kept?: { until: string; apps: string[] };
  released: boolean;
  leftBehind: string[];
}

interface Harness {
  outcome: RunOutcome;
  events: RunEventLine[];
  seen: Seen;
}

async function run(
  input: Partial<RunInput>,
  opts: {
    stages?: readonly StageDef[];
    config?: { keepOnFailure?: number; parallelApps?: boolean };
    spec?: string;
    signal?: AbortSignal;
    docker?: FakeSwarm;
  } = {},
): Promise<Harness> {
  const dir = mkdtempSync(join(root, 'run-'));
  const serverDir = join(dir, 'abra', 'servers', 'default');
  mkdirSync(serverDir, { recursive: true });
  const recipesDir = join(dir, 'recipes');
  mkdirSync(join(recipesDir, 'custom-html'), { recursive: true });
  if (opts.spec) writeFileSync(join(recipesDir, 'custom-html', 'ci.yml'), opts.spec);
  const configFile = join(dir, 'cc-ci.yml');
  writeFileSync(
    configFile,
    [
      'swarm: {server: default, domain: ci.test, abraDir: ./abra}',
      `runner: {keepOnFailure: ${opts.config?.keepOnFailure ?? 0}, parallelApps: ${opts.config?.parallelApps ?? true}}`,
      'store: ./store',
      'recipesDir: ./recipes',
    ].join('\n'),
  );
  const secrets = new SecretRegistry();
  const config: Config = loadConfig({ path: configFile, secrets });
  const runDir = createRunDir(config.store, 'r1', config.swarm.abraDir, 'default');
  const { log, close } = createLogger({ secrets, file: runDir.log, console: false });
  // One call log for the abra of every app (each has its own ABRA_DIR, all share servers/).
  const abraCalls: AbraCallRecord[] = [];
  const lease = new FakeLease();
  const eventsPath = join(dir, 'events.jsonl');
  const outcome = await runRecipe(
    { recipe: 'custom-html', ref: 'main', repo: repo.url, ...input },
    {
      config,
      secrets,
      log,
      runDir,
      docker: opts.docker ?? new FakeSwarm(),
      makeAbra: (abraDir) => new FakeAbraPort(join(abraDir, 'servers', 'default'), { calls: abraCalls }),
      lease,
      events: eventsFile(eventsPath, 'r1', secrets, (m) => {
        throw new Error(m);
      }),
      signal: opts.signal ?? new AbortController().signal,
      stages: opts.stages,
    },
  );
  await close();
  const domains = (method: AbraMethod) => abraCalls.filter((c) => c.method === method).map((c) => c.args[0] as string);
  const seen: Seen = {
    undeployed: domains('undeploy'),
    removed: domains('remove'),
    claimed: lease.claimed,
    kept: lease.kept,
    released: lease.released,
    leftBehind: lease.leftBehind,
  };
  return { outcome, events: parseEvents(readFileSync(eventsPath, 'utf8')), seen };
}

/** A stage of the test's own: on its chain like the real one, making its app like the real one. */
function stage(
  name: StageName,
  body: (s: StageScope) => Promise<Omit<StageResult, 'name' | 'checks'> & { checks?: StageResult['checks'] }>,
): StageDef {
  const real = lifecycle.find((d) => d.name === name)!;
  return {
    ...real,
    run: async (s) => {
      if (name === 'install' || name === 'upgrade') {
        const app = await s.newApp(name, s.ctx.headSha);
        // The app's .env exists once abra app new ran, so teardown asks abra to undeploy it.
        await app.abra.appNew('custom-html', app.name.domain);
      }
      const r = await body(s);
      return { name, checks: [], ...r };
    },
  };
}

const passing = (name: StageName) => stage(name, async () => ({ status: 'pass' }));
const all = (over: Partial<Record<StageName, StageDef>>) =>
  (['install', 'upgrade', 'backup', 'recipe-local', 'lint'] as const).map((n) => over[n] ?? passing(n));

describe('runner phases', () => {
  it('a broken upgrade beside a passing install: fail, level 1, both apps torn down, lease released', async () => {
    const { outcome, seen } = await run(
      {},
      {
        stages: all({
          upgrade: stage('upgrade', async () => ({ status: 'fail', code: 'DATA_LOST', reason: 'marker lost' })),
        }),
      },
    );
    const status = Object.fromEntries(outcome.results.stages.map((s) => [s.name, s.status]));
    expect(status).toEqual({ install: 'pass', upgrade: 'fail', backup: 'pass', 'recipe-local': 'pass', lint: 'pass' });
    expect(outcome.results.verdict).toBe('fail');
    expect(outcome.exitCode).toBe(1);
    expect(outcome.results.level).toBe(1);
    expect(outcome.results.error).toBeUndefined();
    expect(seen.claimed).toHaveLength(2);
    expect(outcome.results.apps.map((a) => a.domain).sort()).toEqual([...seen.claimed].sort());
    expect(outcome.results.teardown).toMatchObject({ clean: true, left: [] });
    expect(seen.undeployed.sort()).toEqual([...seen.claimed].sort());
    expect(seen.removed.sort()).toEqual([...seen.claimed].sort());
    expect(seen.released).toBe(true);
    expect(seen.kept).toBeUndefined();
    expect(seen.leftBehind).toEqual([]);
  });

  it('Docker gone before teardown: TEARDOWN_INCOMPLETE, and the lease records both apps for the janitor', async () => {
    const docker = new FakeSwarm();
    const gone = new CcciError('DOCKER_FAILED', 'Docker Engine at unix:///run/docker.sock: connect ENOENT');
    const { outcome, seen } = await run(
      {},
      {
        docker,
        stages: all({
          // One after the other, the upgrade comes second: Docker stops answering once both apps are made.
          upgrade: stage('upgrade', async () => {
            docker.breakWith('resources', gone);
            return { status: 'pass' };
          }),
        }),
        config: { parallelApps: false },
      },
    );
    expect(outcome.exitCode).toBe(3);
    expect(outcome.results.error?.code).toBe('TEARDOWN_INCOMPLETE');
    expect(outcome.results.teardown.clean).toBe(false);
    expect(seen.claimed).toHaveLength(2);
    expect(seen.released).toBe(true);
    expect([...seen.leftBehind].sort()).toEqual([...seen.claimed].sort());
  });

  it('skip, na and error each say why: needs install, not asked, declared na, infrastructure', async () => {
    const spec = 'stages: {lint: na}\nna_reason: {lint: "upstream lint rule R014 false positive"}\n';
    const { outcome } = await run(
      { stages: 'install,upgrade,backup,lint' },
      {
        spec,
        stages: all({
          install: stage('install', async () => ({
            status: 'fail',
            code: 'NOT_CONVERGED',
            reason: 'converged: timed out',
          })),
          upgrade: stage('upgrade', async (s) => {
            throw new CcciError('DOCKER_FAILED', 'Docker Engine: listing services failed');
            void s;
          }),
        }),
      },
    );
    const byName = Object.fromEntries(outcome.results.stages.map((s) => [s.name, s]));
    expect(byName.install).toMatchObject({ status: 'fail', code: 'NOT_CONVERGED' });
    expect(byName.upgrade).toMatchObject({
      status: 'error',
      code: 'DOCKER_FAILED',
      reason: expect.stringContaining('listing services failed'),
    });
    expect(byName.backup).toMatchObject({ status: 'skip', reason: 'not run: it needs a passing install' });
    expect(byName['recipe-local']).toMatchObject({ status: 'skip', reason: 'not asked for in this run' });
    expect(byName.lint).toMatchObject({ status: 'na', reason: 'upstream lint rule R014 false positive' });
    // The recipe failed a stage: that is the verdict, even though infrastructure broke beside it.
    expect(outcome.results.verdict).toBe('fail');
  });

  it('a stage that needs install says how to get it when install was not asked for', async () => {
    const { outcome } = await run({ stages: 'backup' }, { stages: all({}) });
    expect(outcome.results.stages.find((s) => s.name === 'backup')).toMatchObject({
      status: 'skip',
      reason: 'not run: it needs a passing install (add install to --stages)',
    });
    expect(outcome.results.verdict).toBe('pass');
  });

  it('--keep keeps only the apps of failed stages, and only when keepOnFailure allows', async () => {
    const failingUpgrade = all({ upgrade: stage('upgrade', async () => ({ status: 'fail', reason: 'x' })) });
    const kept = await run({ keep: true }, { stages: failingUpgrade, config: { keepOnFailure: 2 } });
    const upgradeApp = kept.outcome.results.apps.find((a) => a.role === 'upgrade')!.domain;
    const installApp = kept.outcome.results.apps.find((a) => a.role === 'install')!.domain;
    expect(kept.seen.kept?.apps).toEqual([upgradeApp]);
    expect(kept.seen.undeployed).toEqual([installApp]);
    expect(kept.seen.released).toBe(false);
    expect(Date.parse(kept.outcome.results.teardown.keptUntil!) - Date.now()).toBeGreaterThan(1.9 * 3_600_000);
    expect(kept.events.filter((e) => e.type === 'app-released')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ domain: upgradeApp, kept: true }),
        expect.objectContaining({ domain: installApp, kept: false }),
      ]),
    );

    const off = await run({ keep: true }, { stages: failingUpgrade, config: { keepOnFailure: 0 } });
    expect(off.seen.kept).toBeUndefined();
    expect(off.seen.undeployed).toHaveLength(2);
    expect(off.outcome.results.teardown.keptUntil).toBeUndefined();

    const passed = await run({ keep: true }, { stages: all({}), config: { keepOnFailure: 2 } });
    expect(passed.seen.kept).toBeUndefined();
    expect(passed.seen.undeployed).toHaveLength(2);
  });

  const stopMidStage =
    "a stop in the middle of a stage: error with the stop's code, not the check's fail; no later stage starts";
  it(stopMidStage, async () => {
    const controller = new AbortController();
    let upgradeAppMade: () => void = () => undefined;
    const bothApps = new Promise<void>((resolve) => {
      upgradeAppMade = resolve;
    });
    const interrupted = stage('install', async (s) => {
      // What a health check does when it is interrupted: its request dies, it reports a failure.
      await bothApps;
      controller.abort(new CcciError('SUPERSEDED', 'superseded by run r2'));
      const err = new RecipeFailure('CHECK_FAILED', 'health GET / did not answer');
      return finishStage(
        'install',
        Date.now(),
        [{ name: 'health GET /', status: 'fail', detail: err.message }],
        err,
        s.ctx.signal,
      );
    });
    const slowUpgrade = stage('upgrade', async (s) => {
      upgradeAppMade();
      await new Promise((resolve) => s.ctx.signal.addEventListener('abort', resolve));
      return finishStage(
        'upgrade',
        Date.now(),
        [],
        new CcciError('CANCELLED', 'waiting for stack: cancelled'),
        s.ctx.signal,
      );
    });
    const { outcome, events, seen } = await run(
      {},
      {
        stages: all({ install: interrupted, upgrade: slowUpgrade }),
        signal: controller.signal,
        config: { parallelApps: true },
      },
    );
    const byName = Object.fromEntries(outcome.results.stages.map((s) => [s.name, s]));
    expect(byName.install).toMatchObject({
      status: 'error',
      code: 'SUPERSEDED',
      reason: 'stopped: superseded by run r2',
    });
    expect(byName.upgrade).toMatchObject({ status: 'error', code: 'SUPERSEDED' });
    expect(byName.backup).toMatchObject({
      status: 'error',
      code: 'SUPERSEDED',
      reason: 'not reached: superseded by run r2',
    });
    expect(outcome.results.stages.some((s) => s.status === 'fail')).toBe(false);
    expect(outcome.results.verdict).toBe('error');
    expect(outcome.results.error).toEqual({ code: 'SUPERSEDED', message: 'superseded by run r2' });
    expect(outcome.exitCode).toBe(3);
    expect(events.filter((e) => e.type === 'stage-started').map((e) => 'stage' in e && e.stage)).not.toContain(
      'backup',
    );
    expect(seen.undeployed).toHaveLength(2);
    expect(seen.released).toBe(true);
  });

  it('a stop keeps the verdict error even after a stage had already failed', async () => {
    const controller = new AbortController();
    const { outcome } = await run(
      {},
      {
        config: { parallelApps: false },
        signal: controller.signal,
        stages: all({
          install: stage('install', async () => ({ status: 'fail', reason: 'converged: timed out' })),
          upgrade: stage('upgrade', async (s) => {
            controller.abort(new CcciError('CANCELLED', 'cancelled from the dashboard'));
            return finishStage('upgrade', Date.now(), [], new CcciError('CANCELLED', 'x'), s.ctx.signal);
          }),
        }),
      },
    );
    expect(outcome.results.stages[0]).toMatchObject({ name: 'install', status: 'fail' });
    expect(outcome.results.verdict).toBe('error');
    expect(outcome.results.error?.code).toBe('CANCELLED');
    expect(outcome.exitCode).toBe(3);
  });

  it('a refused run keeps its folder and log, writes results that say why, and exits 2', async () => {
    const { outcome, events, seen } = await run({ ref: 'no-such-branch' }, { stages: all({}) });
    expect(outcome.exitCode).toBe(2);
    expect(outcome.results.error).toEqual({
      code: 'RECIPE_INVALID',
      message: expect.stringContaining('ref "no-such-branch" is not a branch, tag or commit'),
    });
    expect(
      outcome.results.stages.every(
        (s) => s.status === 'skip' && s.reason?.startsWith('not run: the run was refused: '),
      ),
    ).toBe(true);
    expect(outcome.results.artifacts).toEqual(expect.arrayContaining(['results.json', 'junit.xml', 'run.log']));
    expect(events.map((e) => e.type)).toEqual(['run-started', 'run-finished']);
    expect(seen.claimed).toEqual([]);
    expect(seen.released).toBe(true);
    const hostile = await run({ ref: '--upload-pack=touch /tmp/x' }, { stages: all({}) });
    expect(hostile.outcome.exitCode).toBe(2);
    expect(hostile.outcome.results.error?.code).toBe('INPUT_INVALID');
  });

  it("a recipe whose secret name cannot fit beside abra's longest stack fails before any app exists", async () => {
    const secret = 'a_secret_name_of_exactly_forty_five_characters'.slice(0, 45);
    const compose = readFileSync(
      join(import.meta.dirname, '../../../testbed/fixtures/recipes/custom-html/1.1.0+1.27.2/compose.yml'),
      'utf8',
    );
    await commitOnBranch(
      repo,
      'long-secret',
      { 'compose.yml': `${compose}\nsecrets:\n  ${secret}:\n    external: true\n` },
      'A secret with a long name',
    );
    // The real lifecycle on the fakes: on swarm.domain ci.test (7 characters) the secret would fit this run's stacks.
    const { outcome, events, seen } = await run({ ref: 'long-secret', stages: 'install,upgrade,backup' });
    expect(outcome.exitCode).toBe(1);
    expect(outcome.results.verdict).toBe('fail');
    const byName = Object.fromEntries(outcome.results.stages.map((s) => [s.name, s]));
    for (const name of ['install', 'upgrade']) {
      expect(byName[name]).toMatchObject({ status: 'fail', code: 'RECIPE_BROKEN' });
      expect(byName[name]?.reason).toContain(
        `secret ${secret} with version v1 (47 characters) leaves room for a 15-character stack name`,
      );
    }
    expect(byName.backup).toMatchObject({ status: 'skip' });
    // Nothing was made: no app claimed, no abra call, nothing to tear down.
    expect(seen.claimed).toEqual([]);
    expect(events.filter((e) => e.type === 'app-claimed')).toEqual([]);
    expect(seen.undeployed).toEqual([]);
    expect(outcome.results.error).toBeUndefined();
  });

  it('runs the three chains side by side with parallelApps, and in stage order without', async () => {
    const order: string[] = [];
    const tracked = (name: StageName, ms: number) =>
      stage(name, async () => {
        order.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, ms));
        order.push(`end ${name}`);
        return { status: 'pass' };
      });
    const defs = all({
      install: tracked('install', 60),
      upgrade: tracked('upgrade', 150),
      backup: tracked('backup', 10),
      'recipe-local': tracked('recipe-local', 10),
      lint: tracked('lint', 10),
    });
    await run({}, { stages: defs, config: { parallelApps: true } });
    // Backup needs only the install app: it starts before the (slower) upgrade ends.
    expect(order.indexOf('start backup')).toBeLessThan(order.indexOf('end upgrade'));
    expect(order.indexOf('start lint')).toBeLessThan(order.indexOf('end install'));
    order.length = 0;
    await run({}, { stages: defs, config: { parallelApps: false } });
    expect(order).toEqual(
      ['install', 'upgrade', 'backup', 'recipe-local', 'lint'].flatMap((n) => [`start ${n}`, `end ${n}`]),
    );
  });

  it('writes the events of a passing and a failing run in order, with the results at the end', async () => {
    const pass = await run({}, { stages: all({}), config: { parallelApps: false } });
    const types = pass.events.map((e) => e.type);
    expect(types[0]).toBe('run-started');
    expect(types.at(-1)).toBe('run-finished');
    expect(pass.events.map((e) => e.seq)).toEqual(pass.events.map((_, i) => i + 1));
    const stageEvents = pass.events
      .filter((e) => e.type === 'stage-started' || e.type === 'stage-finished')
      .map((e) => `${e.type} ${'stage' in e ? e.stage : ''}`);
    expect(stageEvents).toEqual(
      ['install', 'upgrade', 'backup', 'recipe-local', 'lint'].flatMap((n) => [
        `stage-started ${n}`,
        `stage-finished ${n}`,
      ]),
    );
    expect(types.filter((t) => t === 'app-claimed')).toHaveLength(2);
    expect(types.filter((t) => t === 'app-released')).toHaveLength(2);
    // Each app is settled as soon as its chain has ended: the upgrade app before backup starts,
    // the install app after recipe-local.
    const at = (pred: (e: RunEventLine) => boolean) => pass.events.findIndex(pred);
    const appOf = (role: string) =>
      pass.events.find((e) => e.type === 'app-claimed' && e.role === role) as { domain: string };
    const released = (role: string) => at((e) => e.type === 'app-released' && e.domain === appOf(role).domain);
    expect(released('upgrade')).toBeGreaterThan(at((e) => e.type === 'stage-finished' && e.stage === 'upgrade'));
    expect(released('upgrade')).toBeLessThan(at((e) => e.type === 'stage-started' && e.stage === 'backup'));
    expect(released('install')).toBeGreaterThan(at((e) => e.type === 'stage-finished' && e.stage === 'recipe-local'));
    const finished = pass.events.at(-1)!;
    expect(finished).toMatchObject({ type: 'run-finished', exitCode: 0, results: { verdict: 'pass', level: 5 } });

    const fail = await run(
      {},
      {
        stages: all({
          install: stage('install', async () => ({
            status: 'fail',
            code: 'CHECK_FAILED',
            reason: 'health GET /: 503',
          })),
        }),
      },
    );
    const failedStage = fail.events.find((e) => e.type === 'stage-finished' && e.stage === 'install');
    expect(failedStage).toMatchObject({ result: { status: 'fail', code: 'CHECK_FAILED' } });
    expect(fail.events.at(-1)).toMatchObject({ type: 'run-finished', exitCode: 1, results: { verdict: 'fail' } });
  });
});

describe('a run pinned to a commit (--sha)', () => {
  const git = (args: string[]) => execa('git', ['--git-dir', repo.dir, ...args], { env: GIT_ENV });

  /** The marker file the install app's checkout holds: which commit was deployed. */
  const markerOfInstall = (seen: { marker?: string }) =>
    stage('install', async (s) => {
      seen.marker = readFileSync(join(s.installApp().recipeDir, 'marker.txt'), 'utf8').trim();
      return { status: 'pass' };
    });

  it('tests the pinned commit after its ref moved on, and results.json names it', async () => {
    const pinned = await commitOnBranch(repo, 'pr-pin', { 'marker.txt': 'pinned\n' }, 'the approved commit');
    const moved = await commitOnBranch(repo, 'pr-pin', { 'marker.txt': 'pushed later\n' }, 'pushed after approval');
    const seen: { marker?: string } = {};
    const { outcome, events } = await run(
      { ref: 'pr-pin', sha: pinned, stages: 'install' },
      { stages: all({ install: markerOfInstall(seen) }) },
    );
    expect(outcome.results.verdict).toBe('pass');
    expect(outcome.results.headSha).toBe(pinned);
    expect(outcome.results.headSha).not.toBe(moved);
    expect(seen.marker).toBe('pinned');
    expect(events[0]).toMatchObject({ type: 'run-started', ref: 'pr-pin', sha: pinned });
  });

  it('fetches a pinned commit no ref leads to any more (a force push since), by itself', async () => {
    const gone = await commitOnBranch(repo, 'pr-forced', { 'marker.txt': 'force-pushed away\n' }, 'replaced');
    await git(['update-ref', '-d', 'refs/heads/pr-forced']);
    const seen: { marker?: string } = {};
    const { outcome } = await run(
      { ref: 'main', sha: gone, stages: 'install' },
      { stages: all({ install: markerOfInstall(seen) }) },
    );
    expect(outcome.results).toMatchObject({ verdict: 'pass', headSha: gone });
    expect(seen.marker).toBe('force-pushed away');
  });

  it('a pinned commit the repository does not have is an error, not the recipe failing', async () => {
    const missing = 'f'.repeat(40);
    const { outcome, seen } = await run({ ref: 'main', sha: missing }, { stages: all({}) });
    expect(outcome.exitCode).toBe(3);
    expect(outcome.results.verdict).toBe('error');
    expect(outcome.results.error).toMatchObject({
      code: 'COMMIT_NOT_FOUND',
      message: expect.stringContaining(missing),
    });
    expect(outcome.results.headSha).toBe(missing);
    expect(outcome.results.stages.map((s) => s.status)).not.toContain('fail');
    expect(seen.claimed).toEqual([]);
  });

  it('refuses a sha that is not a full commit id before cloning (exit 2)', async () => {
    const { outcome } = await run({ ref: 'main', sha: 'abc123' }, { stages: all({}) });
    expect(outcome.exitCode).toBe(2);
    expect(outcome.results.error).toMatchObject({
      code: 'INPUT_INVALID',
      message: expect.stringContaining('full sha'),
    });
  });
});

describe('the spec a run uses, and what its na is worth', () => {
  const naLocal = 'stages: {recipe-local: na}\nna_reason: {recipe-local: "the tests need a mail server"}\n';

  it("reads the recipe's own tests/cc-ci.yml at the commit under test; its na shows but does not climb", async () => {
    await commitOnBranch(repo, 'own-spec', { 'tests/cc-ci.yml': naLocal }, 'Ship the spec beside the tests');
    const { outcome } = await run({ ref: 'own-spec' }, { stages: all({}) });
    expect(outcome.results.spec).toEqual({ source: 'recipe', path: 'tests/cc-ci.yml' });
    expect(outcome.results.stages.find((s) => s.name === 'recipe-local')).toMatchObject({
      status: 'na',
      reason: 'the tests need a mail server',
      naBy: 'recipe',
    });
    expect(outcome.results.verdict).toBe('pass');
    // Everything else passed: the level stops below the rung that was never tested.
    expect(outcome.results.level).toBe(3);
    // The default branch has no spec of its own: the generic suite, every rung tested.
    const main = await run({}, { stages: all({}) });
    expect(main.outcome.results.spec).toEqual({ source: 'generic' });
    expect(main.outcome.results.level).toBe(5);
  });

  it("cc-ci's recipes/<recipe>/ci.yml overrides the recipe's own, and its na with a reason climbs", async () => {
    await commitOnBranch(repo, 'own-spec-2', { 'tests/cc-ci.yml': 'helth: {}\n' }, 'A broken spec of its own');
    const { outcome } = await run({ ref: 'own-spec-2' }, { stages: all({}), spec: naLocal });
    expect(outcome.results.spec).toEqual({ source: 'operator', path: 'custom-html/ci.yml' });
    expect(outcome.results.stages.find((s) => s.name === 'recipe-local')).toMatchObject({
      status: 'na',
      naBy: 'operator',
    });
    expect(outcome.results.level).toBe(5);
    expect(outcome.exitCode).toBe(0);
  });

  it("a recipe's own spec that does not validate is the recipe's fail with the message, before any app", async () => {
    await commitOnBranch(repo, 'broken-spec', { 'tests/cc-ci.yml': 'helth: {path: /}\n' }, 'A typo in the spec');
    const { outcome, seen } = await run({ ref: 'broken-spec', stages: 'install,upgrade,lint' }, { stages: all({}) });
    expect(outcome.exitCode).toBe(1);
    expect(outcome.results.verdict).toBe('fail');
    expect(outcome.results.error).toBeUndefined();
    expect(outcome.results.spec).toEqual({ source: 'recipe', path: 'tests/cc-ci.yml' });
    const byName = Object.fromEntries(outcome.results.stages.map((s) => [s.name, s]));
    for (const name of ['install', 'upgrade', 'lint']) {
      expect(byName[name]).toMatchObject({
        status: 'fail',
        code: 'SPEC_INVALID',
        reason: 'tests/cc-ci.yml: (top level): Unrecognized key: "helth"',
      });
    }
    expect(byName.backup).toMatchObject({ status: 'skip', reason: 'not asked for in this run' });
    expect(outcome.results.level).toBe(0);
    expect(seen.claimed).toEqual([]);
  });

  it("cc-ci's own broken spec still refuses the run (exit 2), as bad configuration", async () => {
    const { outcome } = await run({}, { stages: all({}), spec: 'helth: {}\n' });
    expect(outcome.exitCode).toBe(2);
    expect(outcome.results.error).toMatchObject({ code: 'RECIPE_INVALID' });
  });
});
