// The backup stage against fakes, on an install app that is already up: the data marker is
// seeded with `docker exec` into the fake swarm, abra's backup snapshots the stack's data and
// its restore puts the snapshot back and restarts the services (test/support/stage-context.ts),
// and the real convergence wait runs after the restore. A recipe without backupbot labels is na.
import { describe, expect, it } from 'vitest';
import { CcciError } from '../../../src/model/errors.js';
import { runBackup } from '../../../src/stages/backup.js';
import { markerData } from '../../support/fake-swarm.js';
import { composeFile, stageRig, type RigOptions, type StageRig } from '../../support/stage-context.js';

/** The install app of a recipe with backupbot labels, deployed and converged as install leaves it. */
async function installed(opts: RigOptions = {}): Promise<StageRig> {
  const rig = stageRig({
    files: { 'compose.yml': composeFile({ backup: true }) },
    spec: { data: markerData },
    ...opts,
  });
  await rig.abra.appNew(rig.ctx.recipe, rig.app.name.domain);
  rig.swarm.deploy(rig.app.name.stack, rig.services({ chaos: true }));
  // Only what the backup stage does is asserted.
  rig.abra.calls.length = 0;
  return rig;
}

const MARKER = /^ccci-[0-9a-f]{12}$/;

describe('backup stage: pass', () => {
  it('seeds, backs up, mutates, restores, waits for convergence, and reads the seed back', async () => {
    const rig = await installed();
    const { domain } = rig.app.name;
    const result = await runBackup(rig.ctx, rig.app);
    expect(result).toMatchObject({ name: 'backup', status: 'pass' });
    expect(result.checks.map((c) => [c.name, c.status])).toEqual([
      ['seed marker', 'pass'],
      ['abra app backup create', 'pass'],
      ['mutate', 'pass'],
      ['abra app restore', 'pass'],
      ['converged after restore', 'pass'],
      ['restore returned the seed', 'pass'],
    ]);
    expect(result.checks[1]?.detail).toBe('INFO snapshot 1a2b3c4d saved');
    expect(rig.abra.calls.map((c) => [c.method, ...c.args])).toEqual([
      ['backupCreate', domain],
      ['restore', domain],
    ]);
    // One marker, seeded and read, changed, then read back after the restore.
    const execs = rig.swarm.execs();
    const marker = execs[0]?.[1] ?? '';
    expect(marker).toMatch(MARKER);
    expect(execs).toEqual([['seed', marker], ['read'], ['mutate', marker], ['read'], ['read']]);
    expect(result.checks.at(-1)?.detail).toBe(marker);
    // Teardown must forget the app's snapshots.
    expect(rig.app.backedUp).toBe(true);
  });

  it('without a data spec it still backs up, restores and waits for convergence', async () => {
    const rig = await installed({ spec: {} });
    const result = await runBackup(rig.ctx, rig.app);
    expect(result.status).toBe('pass');
    expect(result.checks.map((c) => c.name)).toEqual([
      'abra app backup create',
      'abra app restore',
      'converged after restore',
    ]);
    expect(rig.swarm.execs()).toEqual([]);
  });

  it('waits out a backup repository locked by another restic and tries again', async () => {
    const rig = await installed();
    const locked = 'Fatal: unable to create lock in backend: repository is already locked by PID 12';
    rig.abra.fail('backupCreate', new CcciError('ABRA_FAILED', `abra app backup create exited 1: ${locked}`), 1);
    const result = await runBackup(rig.ctx, rig.app);
    expect(result.status).toBe('pass');
    expect(rig.abra.called('backupCreate')).toHaveLength(2);
  });
});

describe('backup stage: na', () => {
  it('is na when no service carries a backupbot.backup label: nothing is seeded or backed up', async () => {
    const rig = await installed({ files: { 'compose.yml': composeFile() } });
    const result = await runBackup(rig.ctx, rig.app);
    expect(result).toEqual({
      name: 'backup',
      status: 'na',
      checks: [],
      reason: 'the recipe has no backupbot.backup labels: there is nothing to back up',
      // Found at run time: the rung was never tested, so it does not count for the level.
      naBy: 'cc-ci',
    });
    expect(rig.abra.calls).toEqual([]);
    expect(rig.swarm.execs()).toEqual([]);
    expect(rig.app.backedUp).toBeUndefined();
  });

  it("reads the labels from the compose files the app's COMPOSE_FILE names", async () => {
    const rig = await installed({
      files: { 'compose.yml': composeFile(), 'compose.backup.yml': composeFile({ backup: true }) },
      appEnv: { COMPOSE_FILE: 'compose.yml:compose.backup.yml' },
    });
    const result = await runBackup(rig.ctx, rig.app);
    expect(result.status).toBe('pass');
    expect(rig.abra.called('backupCreate')).toHaveLength(1);
  });
});

describe("backup stage: fail (the recipe's fault)", () => {
  it('a restore that does not bring the seed back is DATA_LOST, quoting what was read', async () => {
    const rig = await installed();
    // The bot restores nothing: the mutated data stays.
    rig.abra.on('restore', async () => 'INFO restore finished');
    const result = await runBackup(rig.ctx, rig.app);
    expect(result).toMatchObject({ status: 'fail', code: 'DATA_LOST' });
    const marker = rig.swarm.execs()[0]?.[1];
    expect(result.reason).toMatch(
      new RegExp(
        '^restore returned the seed: after the restore the data is not the seed: ' +
          `data read in service app returned "changed-\\d+", not the marker ${marker}$`,
      ),
    );
  });

  it('data gone after the restore (the read fails) is DATA_LOST too, not a broken read command', async () => {
    const rig = await installed();
    rig.abra.on('restore', async () => {
      rig.swarm.volume(rig.app.name.stack).clear();
      return 'INFO restore finished';
    });
    const result = await runBackup(rig.ctx, rig.app);
    expect(result).toMatchObject({ status: 'fail', code: 'DATA_LOST' });
    expect(result.reason).toContain('exited 1: cat: /data/marker: No such file or directory');
  });

  it('a mutate that changes nothing is DATA_COMMAND_FAILED: the restore could not be told apart', async () => {
    const rig = await installed({ spec: { data: { ...markerData, mutate: ['read'] } } });
    const result = await runBackup(rig.ctx, rig.app);
    expect(result).toMatchObject({ status: 'fail', code: 'DATA_COMMAND_FAILED' });
    expect(result.reason).toContain('data mutate did not change what read returns');
    expect(rig.abra.called('restore')).toEqual([]);
  });

  it('a failing restore hook is abra refusing the recipe: ABRA_REFUSED', async () => {
    const rig = await installed();
    const hook = 'FATA restore hook of service db failed: pg_restore: error: bad dump';
    rig.abra.fail('restore', new CcciError('ABRA_FAILED', `abra app restore (under a terminal) exited 1: ${hook}`));
    const result = await runBackup(rig.ctx, rig.app);
    expect(result).toMatchObject({ status: 'fail', code: 'ABRA_REFUSED' });
    expect(result.checks.at(-1)).toMatchObject({ name: 'abra app restore', status: 'fail', code: 'ABRA_REFUSED' });
  });

  it('services that crash after the restore are NOT_CONVERGED', async () => {
    const rig = await installed();
    rig.abra.on('restore', async () => {
      rig.swarm.deploy(rig.app.name.stack, [{ name: 'app', tasks: 'failing', taskError: 'task: non-zero exit (137)' }]);
      return 'INFO restore finished';
    });
    const result = await runBackup(rig.ctx, rig.app);
    expect(result).toMatchObject({ status: 'fail', code: 'NOT_CONVERGED' });
    expect(result.reason).toContain('non-zero exit (137)');
    expect(result.checks.at(-1)?.name).toBe('converged after restore');
  });
});

describe('backup stage: error (infrastructure, or the run was stopped)', () => {
  it("no backup bot on the swarm is abra's plumbing: ABRA_FAILED; teardown still forgets snapshots", async () => {
    const rig = await installed();
    const said = 'abra app backup create exited 1: FATA no backupbot discovered';
    rig.abra.fail('backupCreate', new CcciError('ABRA_FAILED', said));
    const result = await runBackup(rig.ctx, rig.app);
    expect(result).toMatchObject({ status: 'error', code: 'ABRA_FAILED', reason: `abra app backup create: ${said}` });
    expect(rig.abra.called('restore')).toEqual([]);
    expect(rig.app.backedUp).toBe(true);
  });

  it('Docker failing to exec the seed is DOCKER_FAILED, and nothing is backed up', async () => {
    const rig = await installed();
    rig.swarm.breakWith('execInService', new CcciError('DOCKER_FAILED', 'Docker Engine: creating an exec failed: 500'));
    const result = await runBackup(rig.ctx, rig.app);
    expect(result).toMatchObject({ status: 'error', code: 'DOCKER_FAILED' });
    expect(result.checks).toMatchObject([{ name: 'seed marker', status: 'error', code: 'DOCKER_FAILED' }]);
    expect(rig.abra.calls).toEqual([]);
  });

  it("a stop during the restore is error with the stop's code", async () => {
    const rig = await installed();
    rig.abra.hang('restore', () => setImmediate(() => rig.stop('TIMED_OUT', 'the run took longer than 60 min')));
    const result = await runBackup(rig.ctx, rig.app);
    expect(result).toMatchObject({
      status: 'error',
      code: 'TIMED_OUT',
      reason: 'stopped: the run took longer than 60 min',
    });
    expect(result.checks.at(-1)).toMatchObject({ name: 'abra app restore', status: 'error', code: 'TIMED_OUT' });
  });
});
