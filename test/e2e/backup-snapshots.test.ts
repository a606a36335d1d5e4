// Test backups are forgotten (issue 10, item 10). A run's teardown forgets the snapshots its
// backup stage made, in the backup bot's real restic repository; the janitor forgets those of
// test apps that are gone (a run killed after its backup), and leaves every other snapshot, young
// test ones, other apps' and the bot's backups of everything, alone.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { docker, fixtures, lane, repoSnapshots, runCli, waitFor } from './helpers.js';

const backupsDir = '/var/lib/cc-ci-testbed/backups';
const src = join(backupsDir, `e2e-src-${process.pid}`);
const made: string[] = [];
/** A test app's stack and domain in this file's lane (the janitor only looks at those). */
const testStack = (short: string) => `${short}-0a0b0c${lane.stackSuffix}`;
const testDomain = (short: string) => `${short}-0a0b0c.${lane.domain}`;
const escaped = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A snapshot made by restic in the bot's container (as the bot makes them), tagged and timed as asked. */
async function snapshot(tags: string[], time?: string): Promise<string> {
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'file.txt'), `${tags.join(',')} ${time ?? 'now'}\n`);
  const res = await docker.execInNamedService('backups_app', [
    'restic',
    'backup',
    '--json',
    ...tags.flatMap((t) => ['--tag', t]),
    ...(time ? ['--time', time] : []),
    src,
  ]);
  expect(res.exitCode, res.stderr).toBe(0);
  const summary = res.stdout
    .split('\n')
    .filter((l) => l.includes('"summary"'))
    .map((l) => JSON.parse(l) as { snapshot_id: string })[0];
  // restic 0.14 reports the short id here.
  const id = (await repoSnapshots()).find((s) => s.id.startsWith(summary!.snapshot_id))!.id;
  made.push(id);
  return id;
}

afterAll(async () => {
  const left = (await repoSnapshots()).filter((s) => made.includes(s.id)).map((s) => s.id);
  if (left.length > 0) await docker.execInNamedService('backups_app', ['restic', 'forget', ...left]);
  rmSync(src, { recursive: true, force: true });
});

describe('backup snapshots of test apps', () => {
  it('a run forgets the snapshots its backup stage made', async () => {
    const repo = (await fixtures(['custom-html']))['custom-html']!;
    const r = await runCli([
      'run',
      'custom-html',
      '--repo',
      repo.url,
      '--ref',
      'main',
      '--stages',
      'install,backup',
      '--json',
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    const backup = r.results!.stages.find((s) => s.name === 'backup')!;
    expect(backup.status).toBe('pass');
    const { stack, domain } = r.results!.apps.find((a) => a.role === 'install')!;
    // The backup stage made one; teardown forgot it and says so in the run's log.
    expect(r.stderr).toContain(`forgot the backup snapshots of ${domain}`);
    expect(await repoSnapshots(stack)).toEqual([]);
    expect(r.results!.teardown.clean).toBe(true);
  });

  it('the janitor forgets old snapshots of gone test apps and keeps everything else', async () => {
    const old = '2026-01-01 00:00:00';
    const orphan = await snapshot([testStack('gone')], old);
    const young = await snapshot([testStack('yung')]);
    const production = await snapshot(['shop_example_org'], old);
    const everything = await snapshot(['ALL'], old);
    const janitor = await runCli(['janitor', '--max-age', '1h']);
    expect(janitor.exitCode, janitor.stderr).toBe(0);
    expect(janitor.stderr).toContain(`reaping ${testDomain('gone')}`);
    expect(janitor.stderr).toMatch(
      new RegExp(`forgot the backup snapshots of ${escaped(testDomain('gone'))}: [0-9a-f]{8}`),
    );
    const ids = new Set((await repoSnapshots()).map((s) => s.id));
    expect(ids.has(orphan)).toBe(false);
    expect([young, production, everything].filter((id) => ids.has(id))).toEqual([young, production, everything]);
  });

  it("waits out another restic's exclusive lock on the repository, then forgets", async () => {
    const orphan = await snapshot([testStack('lock')], '2026-01-01 00:00:00');
    // `restic key passwd` holds the exclusive lock while it waits for the new password on stdin.
    const bot = (
      await execa('docker', [
        'ps',
        '-q',
        '--filter',
        'label=com.docker.swarm.service.name=backups_app',
        '--filter',
        'status=running',
      ])
    ).stdout.trim();
    const holder = execa('docker', ['exec', '-i', bot, 'restic', 'key', 'passwd'], { reject: false, stdin: 'pipe' });
    const locks = () =>
      execa('restic', [
        '--no-lock',
        '--repo',
        `${backupsDir}/restic`,
        '--password-file',
        `${backupsDir}/restic-password`,
        'list',
        'locks',
      ]);
    await waitFor('the exclusive lock', async () => ((await locks()).stdout.trim() ? true : undefined), 30_000);
    const started = Date.now();
    // The lock goes 4 s later: stdin closes with no password, restic gives up and unlocks.
    const release = setTimeout(() => holder.stdin?.end(), 4_000);
    try {
      const janitor = await runCli(['janitor', '--max-age', '1h']);
      expect(janitor.exitCode, janitor.stderr).toBe(0);
      expect(janitor.stderr).toMatch(new RegExp(`forgot the backup snapshots of ${escaped(testDomain('lock'))}`));
      expect(Date.now() - started).toBeGreaterThan(3_000);
    } finally {
      clearTimeout(release);
      holder.stdin?.end();
      await holder;
    }
    expect((await repoSnapshots()).some((s) => s.id === orphan)).toBe(false);
    expect((await locks()).stdout.trim()).toBe('');
  });
});
