// Forgetting a test app's backup snapshots (issue 10, item 10): which snapshots are the app's,
// restic run in the bot's container with the bot's environment, a locked repository waited out,
// and a failure reported as what teardown left, never thrown.
import { describe, expect, it } from 'vitest';
import {
  botBackupRepo,
  forgetStackSnapshots,
  PRUNE_TIMEOUT_MS,
  readPruneSummary,
  snapshotsOf,
  testStacksIn,
  whileRepoLocked,
  type BackupRepo,
  type RepoSnapshot,
} from '../../../src/backupbot/backup-repo.js';
import { FactError } from '../../../src/model/errors.js';
import type { ExecOptions, ExecResult } from '../../../src/docker/swarm-api.js';
import type { SwarmApi } from '../../../src/docker/swarm-api.js';

const STACK = 'cust-1a2b3c_ci_test';
const snap = (id: string, tags: string[], paths: string[], time = '2026-11-30T10:00:00Z'): RepoSnapshot => ({
  id: `${id}${'0'.repeat(56)}`,
  shortId: id,
  time,
  tags,
  paths,
});
const vol = (volume: string, rest = '') => `/var/lib/docker/volumes/${volume}/_data${rest}`;

describe("which snapshots are one test app's", () => {
  const list = [
    snap('a1', [STACK], [vol(`${STACK}_content`)]),
    snap(
      'a2',
      [],
      [vol(`${STACK}_content`, '/index.html'), `/var/lib/cc-ci-testbed/docker/volumes/${STACK}_db_data/_data`],
    ),
    // The bot's nightly run of every app: it also holds production data, so it is nobody's to forget.
    snap('b1', ['ALL'], [vol(`${STACK}_content`), vol('shop_example_org_db')]),
    snap('b2', ['shop_example_org'], [vol('shop_example_org_db')]),
    // Another app whose stack name starts like ours.
    snap('b3', ['cust-1a2b3c_ci_test_x'], [vol('cust-1a2b3c_ci_test_x_content')]),
    snap('b4', [], []),
  ];
  it('is tagged with its stack, or holds only paths in its volumes', () => {
    expect(snapshotsOf(list, STACK).map((s) => s.shortId)).toEqual(['a1', 'a2']);
  });
  it('the janitor finds test stacks by tag and by volume, even when volume and stack names hold underscores', () => {
    const isTest = (s: string) => /^[a-z0-9]{1,4}-[0-9a-f]{6}_ci_test$/.test(s);
    const found = testStacksIn(
      [...list, snap('c1', [], [vol('pg-abcdef_ci_test_db_data')], '2026-01-01T00:00:00Z')],
      isTest,
    );
    expect([...found.keys()].sort()).toEqual(['cust-1a2b3c_ci_test', 'pg-abcdef_ci_test']);
    expect(found.get('pg-abcdef_ci_test')).toBe(Date.parse('2026-01-01T00:00:00Z'));
  });
});

/** A swarm with one backup bot whose `restic` answers from a script of results, recording each argv. */
function botSwarm(
  answers: Array<Partial<ExecResult> | ((argv: string[]) => Partial<ExecResult>)>,
  bots = [{ name: 'backups_app', running: 1 }],
) {
  const calls: string[][] = [];
  const timeouts: Array<number | undefined> = [];
  const docker = {
    servicesLabelled: async (label: string, value: string) =>
      label === 'coop-cloud.backupbot.enabled' && value === 'true' ? bots : [],
    execInNamedService: async (name: string, cmd: string[], opts?: ExecOptions) => {
      calls.push([name, ...cmd]);
      timeouts.push(opts?.timeoutMs);
      const next = answers.shift() ?? { exitCode: 99, stderr: 'unexpected call' };
      const a = typeof next === 'function' ? next(cmd) : next;
      return { exitCode: 0, stdout: '', stderr: '', ...a };
    },
  } as unknown as SwarmApi;
  return { docker, calls, timeouts };
}

const json = (list: object[]) => ({ stdout: JSON.stringify(list) });
const raw = (id: string, tags: string[]) => ({
  id: `${id}${'0'.repeat(56)}`,
  short_id: id,
  time: '2026-11-30T10:00:00Z',
  tags,
  paths: [vol(`${tags[0]}_content`)],
  hostname: 'bot',
});
const noWait = { sleep: async () => {} };

describe("the bot's repository", () => {
  it("lists and forgets with restic in the bot's container, with the bot's own environment", async () => {
    const { docker, calls } = botSwarm([
      json([raw('a1', [STACK]), raw('b2', ['shop_example_org'])]),
      {},
      json([raw('b2', ['shop_example_org'])]),
    ]);
    const result = await forgetStackSnapshots(botBackupRepo(docker, noWait), STACK);
    expect(result).toEqual({ forgotten: ['a1'], left: [] });
    expect(calls).toEqual([
      ['backups_app', 'restic', 'snapshots', '--json'],
      ['backups_app', 'restic', 'forget', `a1${'0'.repeat(56)}`],
      ['backups_app', 'restic', 'snapshots', '--json'],
    ]);
  });
  it('says what is left when a snapshot survives the forget', async () => {
    const { docker } = botSwarm([json([raw('a1', [STACK])]), {}, json([raw('a1', [STACK])])]);
    expect(await forgetStackSnapshots(botBackupRepo(docker, noWait), STACK)).toEqual({
      forgotten: [],
      left: [`restic snapshot a1 of ${STACK} in the backup repository`],
    });
  });
  it("waits out another restic's lock, then forgets", async () => {
    const locked = {
      exitCode: 1,
      stderr:
        'Fatal: unable to create lock in backend: ' +
        'repository is already locked exclusively by PID 7 on backups by root (UID 0, GID 0)\n' +
        'lock was created at 2026-11-30 10:00:00',
    };
    const pauses: number[] = [];
    const { docker, calls } = botSwarm([json([raw('a1', [STACK])]), locked, {}, locked, {}, json([])]);
    const result = await forgetStackSnapshots(
      botBackupRepo(docker, {
        sleep: async (ms) => {
          pauses.push(ms);
        },
      }),
      STACK,
    );
    expect(result).toEqual({ forgotten: ['a1'], left: [] });
    // Stale locks are cleared once (`unlock` without --remove-all), then the forget is retried.
    expect(calls.map((c) => c[2])).toEqual(['snapshots', 'forget', 'unlock', 'forget', 'forget', 'snapshots']);
    expect(pauses).toEqual([1_000, 2_000]);
  });
  it('gives up on a lock that is held longer than it waits, and reports it as left, naming the lock', async () => {
    const locked = {
      exitCode: 1,
      stderr: 'Fatal: unable to create lock in backend: repository is already locked by PID 7 on backups',
    };
    const { docker } = botSwarm([json([raw('a1', [STACK])]), ...Array.from({ length: 50 }, () => locked)]);
    const result = await forgetStackSnapshots(botBackupRepo(docker, { waitMs: 0, sleep: async () => {} }), STACK);
    expect(result.forgotten).toEqual([]);
    expect(result.left).toHaveLength(1);
    expect(result.left[0]).toMatch(
      new RegExp(
        `^backup snapshots of ${STACK}: could not be forgotten ` +
          '\\(restic forget in backups_app exited with 1: .*repository is already locked',
      ),
    );
  });
  it("uses the bot's password secret when its environment names no password", async () => {
    const { docker, calls } = botSwarm([
      { exitCode: 1, stderr: 'Fatal: an empty password is not a password' },
      json([]),
      json([]),
    ]);
    const repo = botBackupRepo(docker, noWait);
    expect(await repo.list()).toEqual([]);
    expect(await repo.list()).toEqual([]);
    expect(calls.map((c) => c.slice(1))).toEqual([
      ['restic', 'snapshots', '--json'],
      ['restic', '--password-file', '/run/secrets/restic_password', 'snapshots', '--json'],
      ['restic', '--password-file', '/run/secrets/restic_password', 'snapshots', '--json'],
    ]);
  });
  it('names what the bot lacks: a repository in its environment, or restic', async () => {
    const noRepo = botSwarm([
      { exitCode: 1, stderr: 'Fatal: Please specify repository location (-r or --repository-file)' },
    ]);
    await expect(botBackupRepo(noRepo.docker, noWait).list()).rejects.toThrow(
      /has no RESTIC_REPOSITORY in its environment/,
    );
    const noRestic = botSwarm([
      {
        exitCode: 127,
        stderr:
          'OCI runtime exec failed: exec failed: unable to start container process: ' +
          'exec: "restic": executable file not found in $PATH',
      },
    ]);
    await expect(botBackupRepo(noRestic.docker, noWait).list()).rejects.toThrow(/has no restic on its PATH/);
  });
  it('has nothing to forget when no bot runs, and reads nothing', async () => {
    const { docker, calls } = botSwarm([], [{ name: 'backups_app', running: 0 }]);
    expect(await forgetStackSnapshots(botBackupRepo(docker, noWait), STACK)).toEqual({ forgotten: [], left: [] });
    expect(calls).toEqual([]);
  });
  it('a repository that prints no JSON is an error that says so, not an empty list', async () => {
    const { docker } = botSwarm([{ stdout: 'repository 1234 opened successfully\n' }]);
    await expect(botBackupRepo(docker, noWait).list()).rejects.toThrow(/did not print JSON/);
  });
});

describe('waiting out a locked repository', () => {
  const lockErr = () =>
    new Error('abra app backup create exited 1: FATA repository is already locked by PID 3 on backups');
  it('retries a call that failed on the lock, with backoff', async () => {
    let tries = 0;
    const pauses: number[] = [];
    const value = await whileRepoLocked(
      async () => {
        if (++tries < 4) throw lockErr();
        return 'ok';
      },
      undefined,
      {
        sleep: async (ms) => {
          pauses.push(ms);
        },
      },
    );
    expect(value).toBe('ok');
    expect(pauses).toEqual([1_000, 2_000, 4_000]);
  });
  it('does not retry any other failure', async () => {
    let tries = 0;
    await expect(
      whileRepoLocked(
        async () => {
          tries++;
          throw new Error('hook failed');
        },
        undefined,
        noWait,
      ),
    ).rejects.toThrow('hook failed');
    expect(tries).toBe(1);
  });
  it('then reports the lock as a fact, with the last failure as its cause and message', async () => {
    const last = lockErr();
    const locked = whileRepoLocked(
      async () => {
        throw last;
      },
      undefined,
      { waitMs: 0, ...noWait },
    );
    const err = await locked.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FactError);
    expect(err).toMatchObject({ fact: { source: 'backup-repo', what: 'locked' }, message: last.message, cause: last });
  });
  it('stops retrying when the run is stopped', async () => {
    const stop = new AbortController();
    let tries = 0;
    await expect(
      whileRepoLocked(
        async () => {
          tries++;
          stop.abort();
          throw lockErr();
        },
        stop.signal,
        noWait,
      ),
    ).rejects.toThrow(/already locked/);
    expect(tries).toBe(1);
  });
});

describe('forgetting never throws', () => {
  it('a repository that cannot be read becomes a line of what teardown left', async () => {
    const broken: BackupRepo = {
      list: async () => {
        throw new Error('Docker Engine: listing services failed: connect ENOENT');
      },
      forget: async () => {},
    };
    expect(await forgetStackSnapshots(broken, STACK)).toEqual({
      forgotten: [],
      left: [
        `backup snapshots of ${STACK}: could not be forgotten (Docker Engine: listing services failed: connect ENOENT)`,
      ],
    });
  });
});

// restic 0.14's own output of a prune after a forget, as it printed it on this machine.
const PRUNE_OUTPUT = `loading indexes...
loading all snapshots...
finding data that is still in use for 1 snapshots
[0:00] 100.00%  1 / 1 snapshots

searching used packs...
collecting packs for deletion and repacking
[0:00] 100.00%  4 / 4 packs processed


to repack:             0 blobs / 0 B
this removes:          0 blobs / 0 B
to delete:             2 blobs / 499 B
total prune:           2 blobs / 499 B
remaining:             4 blobs / 488.935 KiB
unused size after prune: 0 B (0.00% of remaining size)

rebuilding index
[0:00] 100.00%  3 / 3 packs processed

done
`;

describe("pruning the bot's repository", () => {
  const locked = {
    exitCode: 1,
    stderr: 'Fatal: unable to create lock in backend: repository is already locked by PID 7 on backups',
  };

  it("runs restic prune in the bot, with the prune's own time limit, and reads what it freed", async () => {
    const { docker, calls, timeouts } = botSwarm([{ stdout: PRUNE_OUTPUT }]);
    expect(await botBackupRepo(docker, noWait).prune()).toEqual({
      bot: 'backups_app',
      freed: '2 blobs / 499 B',
      remaining: '4 blobs / 488.935 KiB',
    });
    expect(calls).toEqual([['backups_app', 'restic', 'prune']]);
    // Far above the 120 s of an ordinary exec: a prune reads the whole repository.
    expect(timeouts).toEqual([PRUNE_TIMEOUT_MS]);
  });

  it('waits out a lock as forget does: stale locks cleared once, then retried', async () => {
    const pauses: number[] = [];
    const { docker, calls } = botSwarm([locked, {}, locked, { stdout: PRUNE_OUTPUT }]);
    const repo = botBackupRepo(docker, { sleep: async (ms) => void pauses.push(ms) });
    expect((await repo.prune())?.freed).toBe('2 blobs / 499 B');
    expect(calls.map((c) => c.slice(2).join(' '))).toEqual(['prune', 'unlock', 'prune', 'prune']);
    expect(pauses).toEqual([1_000, 2_000]);
  });

  it('reports a lock held longer than it waits as the locked fact', async () => {
    const { docker } = botSwarm(Array.from({ length: 50 }, () => locked));
    const err = await botBackupRepo(docker, { waitMs: 0, sleep: async () => {} })
      .prune()
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ fact: { source: 'backup-repo', what: 'locked' } });
    expect((err as Error).message).toMatch(/restic prune in backups_app exited with 1: .*already locked/);
  });

  it('--dry-run asks restic what it would free; no bot, nothing to prune', async () => {
    const { docker, calls } = botSwarm([{ stdout: PRUNE_OUTPUT }]);
    await botBackupRepo(docker, noWait).prune({ dryRun: true });
    expect(calls).toEqual([['backups_app', 'restic', 'prune', '--dry-run']]);
    expect(await botBackupRepo(botSwarm([], []).docker, noWait).prune()).toBeUndefined();
  });

  it("restic's summary lines, and none when restic printed none", () => {
    expect(readPruneSummary('total prune:   12 blobs / 1.5 GiB\nremaining:  3 blobs / 10 B\n')).toEqual({
      freed: '12 blobs / 1.5 GiB',
      remaining: '3 blobs / 10 B',
    });
    expect(readPruneSummary('done\n')).toEqual({});
  });
});
