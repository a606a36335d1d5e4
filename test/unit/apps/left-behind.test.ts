// Apps a run's teardown could not remove (Docker did not answer) are recorded in its ended lease,
// and the janitor reaps them at any age once Docker answers, then drops the record. The swarm is
// the fake of test/support; the leases are real files.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decideReaping, runJanitor } from '../../../src/apps/janitor.js';
import { Lease, leftBehindApps, scanLeases, type LeaseRecord, type LeaseScan } from '../../../src/apps/lease.js';
import type { BackupRepo } from '../../../src/backupbot/backup-repo.js';
import { CcciError } from '../../../src/model/errors.js';
import { FakeAbraPort } from '../../support/fake-abra-port.js';
import { FakeSwarm } from '../../support/fake-swarm.js';

const A = 'cust-aaaaaa.ci.test';
const B = 'cust-bbbbbb.ci.test';
const C = 'cust-cccccc.ci.test';
const stackOf = (domain: string) => domain.replaceAll('.', '_');
const HOUR = 3_600_000;

let store: string;
let serverDir: string;
beforeEach(() => {
  store = mkdtempSync(join(tmpdir(), 'cc-ci-left-'));
  serverDir = join(store, 'servers');
  mkdirSync(serverDir);
});
afterEach(() => rmSync(store, { recursive: true, force: true }));

const readLease = (lease: Lease) => JSON.parse(readFileSync(lease.path, 'utf8')) as LeaseRecord;

describe('the record of apps a run left behind', () => {
  it('release with apps left behind keeps the lease as an ended record, never live though its pid is', () => {
    const lease = new Lease(store, 'r1');
    lease.claim(A);
    lease.claim(B);
    lease.release([A, B]);
    expect(readLease(lease)).toMatchObject({ runId: 'r1', apps: [], leftBehind: [A, B] });
    expect(readLease(lease).endedAt).toEqual(expect.any(String));
    // This process (the lease's pid) is alive and the file fresh: still no live run owns A and B.
    const scan = scanLeases(store);
    expect(scan.leases.map((l) => l.live)).toEqual([false]);
    expect(leftBehindApps(scan)).toEqual([A, B]);
  });

  it('release with nothing left behind removes the lease', () => {
    const lease = new Lease(store, 'r1');
    lease.claim(A);
    lease.release([]);
    expect(existsSync(lease.path)).toBe(false);
  });

  it('keep records the kept apps and, apart, those left behind', () => {
    const lease = new Lease(store, 'r1');
    lease.claim(A);
    lease.claim(B);
    const until = new Date(Date.now() + HOUR).toISOString();
    lease.keep(until, [A], [B]);
    expect(readLease(lease)).toMatchObject({ apps: [A], keepUntil: until, leftBehind: [B] });
    expect(leftBehindApps(scanLeases(store))).toEqual([B]);
  });

  it('a live lease that names apps left behind by mistake does not offer them for reaping', () => {
    mkdirSync(join(store, 'leases'));
    const record = { runId: 'r2', pid: process.pid, startedAt: '', apps: [A], leftBehind: [A] };
    writeFileSync(join(store, 'leases', 'r2.json'), JSON.stringify(record));
    expect(leftBehindApps(scanLeases(store))).toEqual([]);
  });

  it('decideReaping reaps a left-behind app at any age, and still nothing while a fresh lease is unreadable', () => {
    const now = Date.now();
    const candidates = new Map([
      [A, now - 1_000],
      [B, now - 1_000],
    ]);
    const ended = { runId: 'r', pid: 1, startedAt: '', apps: [], live: false, path: '/r.json', leftBehind: [A] };
    const scan: LeaseScan = { leases: [ended], unreadable: [] };
    expect(decideReaping(candidates, scan, now, 2 * HOUR)).toMatchObject({
      reap: [A],
      leftBehind: [A],
      keptYoung: [B],
    });
    const unsure = { ...scan, unreadable: [{ path: '/fresh.json', fresh: true, error: 'x' }] };
    expect(decideReaping(candidates, unsure, now, 2 * HOUR)).toMatchObject({ reap: [], keptUnsure: [A] });
  });
});

describe('the janitor and apps left behind', () => {
  const noBackups: BackupRepo = { list: async () => [], forget: async () => undefined };

  /** A run that deployed A and B, then lost Docker before its teardown: A and B are recorded. */
  function leftByARun(swarm: FakeSwarm): void {
    for (const domain of [A, B]) {
      swarm.deploy(stackOf(domain), [{ name: 'app' }]);
      writeFileSync(join(serverDir, `${domain}.env`), 'TYPE=custom-html\n');
    }
    // C: a young app of no record (a run starting, say): the age still protects it.
    swarm.deploy(stackOf(C), [{ name: 'app' }]);
    new Lease(store, 'r1').release([A, B]);
  }

  const janitor = (swarm: FakeSwarm, log: string[] = []) =>
    runJanitor({
      abra: new FakeAbraPort(serverDir),
      docker: swarm,
      store,
      serverDir,
      swarmDomain: 'ci.test',
      maxAgeMs: 2 * HOUR,
      log: (l) => log.push(l),
      backups: noBackups,
    });

  it('while Docker does not answer the pass fails and the record stays; once it answers both apps go', async () => {
    const swarm = new FakeSwarm();
    leftByARun(swarm);
    const record = join(store, 'leases', 'r1.json');
    const refused = new CcciError('DOCKER_FAILED', 'Docker Engine at unix:///run/docker.sock: connect ENOENT');
    swarm.breakWith('stacks', refused);
    await expect(janitor(swarm)).rejects.toThrow(/connect ENOENT/);
    expect(existsSync(record)).toBe(true);

    swarm.mend('stacks');
    const log: string[] = [];
    const report = await janitor(swarm, log);
    expect(report.reaped).toEqual([
      { domain: A, left: [] },
      { domain: B, left: [] },
    ]);
    expect(report.leftBehind).toEqual([A, B]);
    expect(report.keptYoung).toEqual([C]);
    expect(report.recordsKept).toEqual([]);
    expect(log).toContain(`reaping ${A} (an ended run left it behind, so at any age)`);
    expect((await swarm.stacks()).has(stackOf(A))).toBe(false);
    expect((await swarm.stacks()).has(stackOf(B))).toBe(false);
    expect((await swarm.stacks()).has(stackOf(C))).toBe(true);
    expect(existsSync(record)).toBe(false);
  });

  it('keeps the record while a left-behind app could not be removed, drops it on the pass that does', async () => {
    const swarm = new FakeSwarm();
    leftByARun(swarm);
    const record = join(store, 'leases', 'r1.json');
    swarm.breakWith('removeServices', new CcciError('DOCKER_FAILED', 'Docker Engine: 500 server error'));
    const report = await runJanitor({
      abra: new FakeAbraPort(serverDir),
      docker: swarm,
      store,
      serverDir,
      swarmDomain: 'ci.test',
      maxAgeMs: 2 * HOUR,
      log: () => undefined,
      backups: noBackups,
      only: [A, B],
    });
    expect(report.reaped.map((r) => r.domain)).toEqual([A, B]);
    expect(report.reaped.every((r) => r.left.length > 0)).toBe(true);
    expect(report.recordsKept).toEqual([record]);
    expect(existsSync(record)).toBe(true);

    swarm.mend('removeServices');
    expect((await janitor(swarm)).recordsKept).toEqual([]);
    expect(existsSync(record)).toBe(false);
  });

  it('reaps a recorded app of which nothing is found any more, and so drops its record', async () => {
    const swarm = new FakeSwarm();
    new Lease(store, 'r1').release([A]);
    const report = await janitor(swarm);
    expect(report.reaped).toEqual([{ domain: A, left: [] }]);
    expect(existsSync(join(store, 'leases', 'r1.json'))).toBe(false);
  });
});
