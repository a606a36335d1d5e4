// The upgrade stage against fakes, on a real clone of the custom-html fixture recipe (releases
// 1.0.0+1.27.2 and 1.1.0+1.27.2) checked out at the base, as the runner hands it over: abra
// deploys the base onto the fake swarm, the marker is seeded, git checks out the head, abra
// redeploys it, the version label must move and the marker survive. Whether there is a base
// at all is decided before the stage, in src/runner/stage-table.ts with planUpgradeBase: na
// and NO_UPGRADE_BASE are tested there (the last describe).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { checkout, cloneRepo, resolveRef } from '../../../src/git/git.js';
import { CcciError } from '../../../src/model/errors.js';
import { planUpgradeBase } from '../../../src/recipe/versions.js';
import { lifecycle, type StageScope } from '../../../src/runner/stage-table.js';
import { runUpgrade } from '../../../src/stages/upgrade.js';
import { makeFixtureRepos, type FixtureRepo } from '../../../testbed/fixtures/make-recipes.js';
import { untilAborted } from '../../support/fake-abra-port.js';
import { page, startIngress, type FakeIngress } from '../../support/fake-ingress.js';
import { fakeChromium } from '../../support/fake-playwright.js';
import { markerData } from '../../support/fake-swarm.js';
import { abraLabels, stageRig, type RigOptions, type StageRig } from '../../support/stage-context.js';

vi.mock('playwright-core', () => import('../../support/fake-playwright.js'));

const BASE = '1.0.0+1.27.2';
const HEAD = '1.1.0+1.27.2';

let root: string;
let repo: FixtureRepo;
let baseClone: string;
let ingress: FakeIngress;
let clones = 0;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'cc-ci-upgrade-'));
  repo = (await makeFixtureRepos(join(root, 'repos'), ['custom-html']))['custom-html']!;
  // Cloned and checked out at the base once, as the runner's newApp does; each test copies it.
  baseClone = join(root, 'base-clone');
  await cloneRepo(repo.url, baseClone);
  await checkout(baseClone, await resolveRef(baseClone, BASE));
  ingress = await startIngress();
});
afterAll(async () => {
  await ingress.close();
  rmSync(root, { recursive: true, force: true });
});
beforeEach(() => fakeChromium.reset());

/** A copy of the clone at the base, a context with the head's sha and version, and a live ingress route. */
function upgradeRig(opts: RigOptions = {}): StageRig {
  const recipeDir = join(root, `clone-${++clones}`);
  cpSync(baseClone, recipeDir, { recursive: true });
  const rig = stageRig({
    recipeDir,
    role: 'upgrade',
    headSha: repo.head,
    headVersion: HEAD,
    ingress: ingress.url,
    spec: { data: markerData },
    ...opts,
  });
  ingress.route(rig.app.name.domain, page('Custom HTML', 'v1.1.0'));
  return rig;
}

const checkedOut = (dir: string) => execFileSync('git', ['-C', dir, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();

describe('upgrade stage: pass', () => {
  it('deploys the base, seeds, checks out and redeploys the head; the label moved, the marker survived', async () => {
    const rig = upgradeRig({ spec: { data: markerData, checks: [{ http: { path: '/', contains: 'v1.1.0' } }] } });
    const { domain, stack } = rig.app.name;
    const result = await runUpgrade(rig.ctx, rig.app, BASE);
    expect(result).toMatchObject({ name: 'upgrade', status: 'pass' });
    expect(result.checks.map((c) => [c.name, c.status])).toEqual([
      ['abra app new', 'pass'],
      ['swarm names within limits', 'pass'],
      ['abra app secret generate', 'pass'],
      [`abra app deploy ${BASE}`, 'pass'],
      ['converged', 'pass'],
      [`seed marker on ${BASE}`, 'pass'],
      ['check out the head', 'pass'],
      ['swarm names within limits', 'pass'],
      ['abra app deploy --chaos (head, onto the running app)', 'pass'],
      ['converged', 'pass'],
      ['deployed the head commit', 'pass'],
      ['version label moved to the head', 'pass'],
      ['marker survived the upgrade', 'pass'],
      ['health GET /', 'pass'],
      ['http GET /', 'pass'],
      ['browser /', 'pass'],
    ]);
    expect(result.checks.find((c) => c.name === 'version label moved to the head')?.detail).toBe(`${BASE} -> ${HEAD}`);
    // One app, one set of secrets; the base by version, then the head in place.
    expect(rig.abra.calls.map((c) => [c.method, ...c.args])).toEqual([
      ['appNew', 'custom-html', domain],
      ['generateSecrets', domain],
      ['deploy', domain, { version: BASE }],
      ['deploy', domain, { chaos: true }],
    ]);
    // git really moved the app's checkout to the head.
    expect(checkedOut(rig.app.recipeDir)).toBe(repo.head);
    const execs = rig.swarm.execs();
    expect(execs).toEqual([['seed', execs[0]?.[1]], ['read'], ['read']]);
    expect(rig.app.deployed).toMatchObject({
      role: 'upgrade',
      stack,
      version: HEAD,
      chaosVersion: repo.head.slice(0, 8),
    });
    expect(existsSync(join(rig.ctx.artifactsDir, 'upgrade-screenshot.png'))).toBe(true);
  });
});

describe("upgrade stage: fail (the recipe's fault)", () => {
  it("a head that still carries the base's version label is WRONG_VERSION", async () => {
    const rig = upgradeRig();
    // The maintainer forgot to bump the label: abra deploys the head, the label stays.
    rig.services = (target) => [
      {
        name: 'app',
        labels: abraLabels(rig.app.name.stack, BASE, 'chaos' in target ? repo.head.slice(0, 8) : undefined),
      },
    ];
    const result = await runUpgrade(rig.ctx, rig.app, BASE);
    expect(result).toMatchObject({ status: 'fail', code: 'WRONG_VERSION' });
    expect(result.reason).toBe(
      `version label moved to the head: the coop-cloud.${rig.app.name.stack}.version label ` +
        `is "${BASE}" after the upgrade (base ${BASE}, head ${HEAD})`,
    );
    expect(ingress.requests.filter((r) => r.host === rig.app.name.domain)).toEqual([]);
  });

  it("the label must move even when the head's version is not known: WRONG_VERSION", async () => {
    const rig = upgradeRig({ headVersion: undefined });
    rig.services = (target) => [
      {
        name: 'app',
        labels: abraLabels(rig.app.name.stack, BASE, 'chaos' in target ? repo.head.slice(0, 8) : undefined),
      },
    ];
    const result = await runUpgrade(rig.ctx, rig.app, BASE);
    expect(result).toMatchObject({ status: 'fail', code: 'WRONG_VERSION' });
    expect(result.reason).toContain(`after the upgrade (base ${BASE}, head unlabelled)`);
  });

  it('a head whose deploy loses the data is DATA_LOST', async () => {
    const rig = upgradeRig();
    const services = rig.services;
    rig.services = (target) => {
      // The new version mounts a fresh volume.
      if ('chaos' in target) rig.swarm.volume(rig.app.name.stack).clear();
      return services(target);
    };
    const result = await runUpgrade(rig.ctx, rig.app, BASE);
    expect(result).toMatchObject({ status: 'fail', code: 'DATA_LOST' });
    expect(result.reason).toMatch(/^marker survived the upgrade: after the upgrade the data marker was lost: /);
  });

  it('a head that crash-loops is NOT_CONVERGED, after the base had converged', async () => {
    const rig = upgradeRig();
    const services = rig.services;
    rig.services = (target) =>
      'chaos' in target ? [{ name: 'app', tasks: 'failing', taskError: 'task: non-zero exit (1)' }] : services(target);
    const result = await runUpgrade(rig.ctx, rig.app, BASE);
    expect(result).toMatchObject({ status: 'fail', code: 'NOT_CONVERGED' });
    expect(result.checks.filter((c) => c.name === 'converged').map((c) => c.status)).toEqual(['pass', 'fail']);
  });

  it('abra refusing to deploy the base is ABRA_REFUSED; the head is never deployed', async () => {
    const rig = upgradeRig();
    const said = `abra app deploy exited 1: FATA ${BASE} is not a published version`;
    rig.abra.fail('deploy', new CcciError('ABRA_FAILED', said));
    const result = await runUpgrade(rig.ctx, rig.app, BASE);
    expect(result).toMatchObject({ status: 'fail', code: 'ABRA_REFUSED' });
    expect(rig.abra.called('deploy')).toEqual([[rig.app.name.domain, { version: BASE }]]);
    expect(checkedOut(rig.app.recipeDir)).not.toBe(repo.head);
  });

  it('a data spec naming a service the recipe does not run fails: RECIPE_BROKEN', async () => {
    const rig = upgradeRig({ spec: { data: { ...markerData, service: 'db' } } });
    const result = await runUpgrade(rig.ctx, rig.app, BASE);
    expect(result).toMatchObject({ status: 'fail', code: 'RECIPE_BROKEN' });
    expect(result.reason).toContain(`no running container of service ${rig.app.name.stack}_db`);
  });
});

describe('upgrade stage: error (infrastructure, or the run was stopped)', () => {
  it('a head commit git cannot check out is GIT_FAILED, and the head is never deployed', async () => {
    const rig = upgradeRig({ headSha: 'f'.repeat(40) });
    const result = await runUpgrade(rig.ctx, rig.app, BASE);
    expect(result).toMatchObject({ status: 'error', code: 'GIT_FAILED' });
    expect(result.checks.at(-1)).toMatchObject({ name: 'check out the head', status: 'error', code: 'GIT_FAILED' });
    expect(rig.abra.called('deploy')).toHaveLength(1);
  });

  it('Docker failing while the head converges is DOCKER_FAILED', async () => {
    const rig = upgradeRig();
    const services = rig.services;
    const down = 'Docker Engine: listing tasks failed';
    rig.services = (target) => {
      if ('chaos' in target) rig.swarm.breakWith('tasks', new CcciError('DOCKER_FAILED', down));
      return services(target);
    };
    const result = await runUpgrade(rig.ctx, rig.app, BASE);
    expect(result).toMatchObject({ status: 'error', code: 'DOCKER_FAILED', reason: `converged: ${down}` });
  });

  it("a stop while abra deploys the head is error with the stop's code", async () => {
    const rig = upgradeRig();
    const services = rig.services;
    rig.abra.on('deploy', async (_domain, target, opts) => {
      if ('version' in target) return rig.swarm.deploy(rig.app.name.stack, services(target));
      setImmediate(() => rig.stop('CANCELLED', 'cancelled from the dashboard'));
      return untilAborted(opts?.signal, 'abra app deploy');
    });
    const result = await runUpgrade(rig.ctx, rig.app, BASE);
    expect(result).toMatchObject({
      status: 'error',
      code: 'CANCELLED',
      reason: 'stopped: cancelled from the dashboard',
    });
    expect(result.checks.at(-1)).toMatchObject({
      name: 'abra app deploy --chaos (head, onto the running app)',
      status: 'error',
      code: 'CANCELLED',
    });
  });
});

describe('upgrade in the stage table: na, NO_UPGRADE_BASE, and the base it deploys', () => {
  const tags = [BASE, HEAD];
  /** A scope whose newApp records what it is asked for and makes no app. */
  function scope(plan: StageScope['plan'], rig: StageRig, asked: unknown[][]): StageScope {
    return {
      ctx: rig.ctx,
      plan,
      newApp: async (...args) => {
        asked.push(args);
        throw new CcciError('GIT_FAILED', 'no clone in this test');
      },
      installApp: () => rig.app,
      cleanClone: () => Promise.reject(new Error('upgrade asked for a clean clone')),
    };
  }
  const upgrade = lifecycle.find((d) => d.name === 'upgrade')!;

  it('is na when no release is older than the head, and makes no app', async () => {
    const rig = stageRig();
    const asked: unknown[][] = [];
    const result = await upgrade.run(scope(planUpgradeBase('previous', BASE, tags), rig, asked));
    expect(result).toEqual({
      name: 'upgrade',
      status: 'na',
      checks: [],
      reason: `no release tag below the head's version ${BASE}: nothing to upgrade from`,
      // Found at run time: the rung was never tested, so it does not count for the level.
      naBy: 'cc-ci',
    });
    expect(asked).toEqual([]);
  });

  it('is na when the head declares no version label to upgrade to', async () => {
    const rig = stageRig();
    const asked: unknown[][] = [];
    const result = await upgrade.run(scope(planUpgradeBase('previous', undefined, tags), rig, asked));
    expect(result).toMatchObject({
      status: 'na',
      reason: expect.stringContaining('declares no coop-cloud.${STACK_NAME}.version label'),
      naBy: 'cc-ci',
    });
    expect(asked).toEqual([]);
  });

  it('fails with NO_UPGRADE_BASE when the spec pins a release the recipe does not have', async () => {
    const rig = stageRig();
    const asked: unknown[][] = [];
    const result = await upgrade.run(scope(planUpgradeBase('0.9.0+1.27.2', HEAD, tags), rig, asked));
    expect(result).toMatchObject({
      status: 'fail',
      code: 'NO_UPGRADE_BASE',
      reason: expect.stringContaining('0.9.0+1.27.2 is not a release tag'),
    });
    expect(asked).toEqual([]);
  });

  it('otherwise asks the run for an upgrade app at the newest release below the head', async () => {
    const rig = stageRig();
    const asked: unknown[][] = [];
    const plan = planUpgradeBase('previous', '1.2.0+1.27.2', tags);
    await expect(upgrade.run(scope(plan, rig, asked))).rejects.toThrow('no clone');
    expect(asked).toEqual([['upgrade', HEAD]]);
  });
});
