import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CcciError } from '../../../src/model/errors.js';
import type { Abra } from '../../../src/abra/abra.js';
import type { SwarmDocker } from '../../../src/docker/docker.js';
import { decideReaping, runJanitor } from '../../../src/apps/janitor.js';
import {
  HEARTBEAT_MS,
  Lease,
  type LeaseRecord,
  type LeaseScan,
  readLeases,
  type RunLease,
  scanLeases,
  STALE_AFTER_MS,
} from '../../../src/apps/lease.js';

const writer = fileURLToPath(new URL('../../support/lease-writer.ts', import.meta.url));
const A = 'cust-aaaaaa.ci.test';
let store: string;
beforeEach(() => {
  store = mkdtempSync(join(tmpdir(), 'cc-ci-lease-'));
});
afterEach(() => {
  vi.useRealTimers();
  rmSync(store, { recursive: true, force: true });
});

/** Puts a plain file where the leases folder was, so nothing can be written under it. */
function breakLeasesFolder(): void {
  rmSync(join(store, 'leases'), { recursive: true, force: true });
  writeFileSync(join(store, 'leases'), 'not a folder');
}

const setMtime = (path: string, ms: number) => utimesSync(path, new Date(ms), new Date(ms));

describe('lease', () => {
  it('a janitor racing a run that claims its second app never reaps the first', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', writer, store, 'race', A, '600'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await vi.waitFor(
      () => {
        if (!out.includes('ready')) throw new Error(`writer not ready: ${err}`);
      },
      { timeout: 20_000, interval: 10 },
    );

    // Reads in a tight loop while the writer rewrites the lease in its own process (a fixed number
    // of writes, so a busy machine makes the race slower, not smaller).
    const bad: string[] = [];
    const versions = new Set<string>();
    let reads = 0;
    // The writer stays alive after its last write until its stdin closes, so every read is of a live run.
    for (; !out.includes('writes ') && child.exitCode === null; reads++) {
      if (reads % 20 === 0) await new Promise((r) => setImmediate(r));
      const scan = scanLeases(store);
      const lease = scan.leases.find((l) => l.runId === 'race');
      if (!lease || !lease.live || !lease.apps.includes(A) || scan.unreadable.length > 0) {
        bad.push(
          JSON.stringify({
            lease: lease && { live: lease.live, apps: lease.apps.length, first: lease.apps[0] },
            unreadable: scan.unreadable,
          }),
        );
      } else {
        versions.add(lease.apps.join());
      }
    }
    child.stdin.end();
    expect(await exited, err).toBe(0);
    const writes = Number(/writes (\d+)/.exec(out)?.[1]);
    expect(bad.slice(0, 3), `${bad.length} of ${reads} reads did not show A owned by a live lease`).toEqual([]);
    // The race really happened: many writes, and the reads saw many different versions of the lease.
    expect(writes).toBe(600);
    expect(versions.size).toBeGreaterThan(20);
    // No temp file is left behind.
    expect(readdirSync(join(store, 'leases'))).toEqual(['race.json']);
  });

  it('writes pid and apps, and its apps getter follows claim and keep', () => {
    const lease: RunLease = new Lease(store, 'r1');
    lease.claim(A);
    lease.claim('cust-bbbbbb.ci.test');
    expect(lease.apps).toEqual([A, 'cust-bbbbbb.ci.test']);
    const record = JSON.parse(readFileSync(join(store, 'leases', 'r1.json'), 'utf8')) as LeaseRecord;
    expect(record).toMatchObject({ runId: 'r1', pid: process.pid, apps: [A, 'cust-bbbbbb.ci.test'] });
    lease.keep('2099-01-01T00:00:00.000Z', [A]);
    expect(lease.apps).toEqual([A]);
    expect(readLeases(store)).toMatchObject([
      { runId: 'r1', live: true, apps: [A], keepUntil: '2099-01-01T00:00:00.000Z' },
    ]);
    lease.release();
    expect(readdirSync(join(store, 'leases'))).toEqual([]);
  });

  it('readLeases ignores temp files and removes those older than a minute', () => {
    new Lease(store, 'r1').claim(A);
    const dir = join(store, 'leases');
    writeFileSync(join(dir, 'r2.json.123.0a0b0c0d.tmp'), '{"runId":"r2","pi');
    writeFileSync(join(dir, 'r3.json.123.0e0f0a0b.tmp'), '{');
    setMtime(join(dir, 'r3.json.123.0e0f0a0b.tmp'), Date.now() - 120_000);
    const scan = scanLeases(store);
    expect(scan.leases.map((l) => l.runId)).toEqual(['r1']);
    expect(scan.unreadable).toEqual([]);
    expect(readdirSync(dir).sort()).toEqual(['r1.json', 'r2.json.123.0a0b0c0d.tmp']);
  });

  it('reports unreadable lease files, fresh or stale, instead of dropping them silently', () => {
    const dir = join(store, 'leases');
    mkdirSync(dir);
    writeFileSync(join(dir, 'fresh.json'), '{"runId":"fresh","pid":');
    writeFileSync(join(dir, 'stale.json'), '[]');
    setMtime(join(dir, 'stale.json'), Date.now() - STALE_AFTER_MS - 1_000);
    const scan = scanLeases(store);
    expect(scan.leases).toEqual([]);
    expect(
      scan.unreadable.map(({ path, fresh }) => ({ path, fresh })).sort((a, b) => a.path.localeCompare(b.path)),
    ).toEqual([
      { path: join(dir, 'fresh.json'), fresh: true },
      { path: join(dir, 'stale.json'), fresh: false },
    ]);
  });

  it('a heartbeat that cannot write calls onError and never throws', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const errors: string[] = [];
    const lease = new Lease(store, 'hb', { onError: (m) => errors.push(m) });
    lease.claim(A);
    breakLeasesFolder();
    expect(() => vi.advanceTimersByTime(HEARTBEAT_MS * 2)).not.toThrow();
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(errors.join('\n')).toContain(lease.path);
    expect(errors.at(-1)).toMatch(/could not write .*hb\.json.*may take this run's apps \(cust-aaaaaa\.ci\.test\)/);
    expect(() => lease.keep('2099-01-01T00:00:00.000Z', [A])).not.toThrow();
    expect(errors.at(-1)).toMatch(/for --keep/);
    expect(() => lease.release()).not.toThrow();
  });

  it('a heartbeat whose leases folder vanished says so and writes the lease again', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const errors: string[] = [];
    const lease = new Lease(store, 'hb', { onError: (m) => errors.push(m) });
    lease.claim(A);
    rmSync(join(store, 'leases'), { recursive: true });
    expect(() => vi.advanceTimersByTime(HEARTBEAT_MS)).not.toThrow();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`could not touch ${lease.path}`);
    expect(readLeases(store)).toMatchObject([{ runId: 'hb', live: true, apps: [A] }]);
    lease.release();
  });

  it('claim that cannot write throws a CcciError naming the file, and does not count the app as claimed', () => {
    const lease = new Lease(store, 'c1', { onError: () => undefined });
    lease.claim(A);
    breakLeasesFolder();
    let thrown: unknown;
    try {
      lease.claim('cust-bbbbbb.ci.test');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(CcciError);
    expect((thrown as CcciError).code).toBe('STORE_FAILED');
    expect((thrown as CcciError).message).toContain(
      `could not write the lease ${join(store, 'leases', 'c1.json')} (claiming cust-bbbbbb.ci.test)`,
    );
    expect((thrown as CcciError).message).toContain(`check that the store folder ${store}`);
    expect(lease.apps).toEqual([A]);
    lease.release();
  });

  it('a lease that cannot be written at the start throws a CcciError naming the file', () => {
    writeFileSync(join(store, 'leases'), 'not a folder');
    expect(() => new Lease(store, 's1')).toThrow(CcciError);
    expect(() => new Lease(store, 's1')).toThrow(
      `could not write the lease ${join(store, 'leases', 's1.json')} (starting the run)`,
    );
  });
});

describe('janitor and leases', () => {
  const now = Date.now();
  const hourAgo = now - 3_600_000;
  const view = (apps: string[], live: boolean, keepUntil?: string) => ({
    runId: 'r',
    pid: 1,
    startedAt: '',
    apps,
    live,
    path: '/x.json',
    ...(keepUntil ? { keepUntil } : {}),
  });

  it('decideReaping keeps owned, kept and young apps and reaps the rest', () => {
    const candidates = new Map([
      [A, hourAgo],
      ['cust-bbbbbb.ci.test', hourAgo],
      ['cust-cccccc.ci.test', now - 1_000],
      ['cust-dddddd.ci.test', hourAgo],
      ['cust-eeeeee.ci.test', hourAgo],
    ]);
    const scan: LeaseScan = {
      leases: [
        view([A], true),
        view(['cust-bbbbbb.ci.test'], false, new Date(now + 60_000).toISOString()),
        view(['cust-dddddd.ci.test'], false),
      ],
      unreadable: [{ path: '/stale.json', fresh: false, error: 'x' }],
    };
    expect(decideReaping(candidates, scan, now, 60_000)).toEqual({
      reap: ['cust-dddddd.ci.test', 'cust-eeeeee.ci.test'],
      leftBehind: [],
      keptLive: [A, 'cust-bbbbbb.ci.test'],
      keptYoung: ['cust-cccccc.ci.test'],
      unreadableLeases: [],
      keptUnsure: [],
    });
  });

  it('decideReaping reaps nothing while a fresh lease cannot be read', () => {
    const candidates = new Map([
      [A, hourAgo],
      ['cust-bbbbbb.ci.test', hourAgo],
    ]);
    const scan: LeaseScan = {
      leases: [view([A], true)],
      unreadable: [{ path: '/fresh.json', fresh: true, error: 'x' }],
    };
    expect(decideReaping(candidates, scan, now, 0)).toEqual({
      reap: [],
      leftBehind: [],
      keptLive: [A],
      keptYoung: [],
      unreadableLeases: ['/fresh.json'],
      keptUnsure: ['cust-bbbbbb.ci.test'],
    });
  });

  /** A janitor over a temp store: one orphan found by its .env, one found on the (fake) swarm only. */
  async function janitorPass() {
    const serverDir = join(store, 'servers');
    mkdirSync(serverDir);
    writeFileSync(join(serverDir, `${A}.env`), 'TYPE=custom-html\n');
    setMtime(join(serverDir, `${A}.env`), hourAgo);
    const docker = {
      stacks: async () => new Map([['cust-ffffff_ci_test', hourAgo]]),
      resources: async () => {
        throw new Error('fake docker: no swarm here');
      },
    } as unknown as SwarmDocker;
    const abra = {
      envFile: (domain: string) => join(serverDir, `${domain}.env`),
      undeploy: async () => {
        throw new Error('fake abra');
      },
    } as unknown as Abra;
    const log: string[] = [];
    const report = await runJanitor({
      abra,
      docker,
      store,
      serverDir,
      swarmDomain: 'ci.test',
      maxAgeMs: 0,
      log: (l) => log.push(l),
    });
    return { report, log };
  }

  it('runJanitor reaps nothing while a fresh lease cannot be read, and says so', async () => {
    mkdirSync(join(store, 'leases'));
    const garbled = join(store, 'leases', 'r9.json');
    writeFileSync(garbled, '{"runId":"r9","pid":12');
    writeFileSync(
      join(store, 'leases', 'dead.json'),
      JSON.stringify({ runId: 'dead', pid: 2 ** 30, startedAt: '', apps: [] }),
    );
    const { report, log } = await janitorPass();
    expect(report).toEqual({
      reaped: [],
      leftBehind: [],
      recordsKept: [],
      keptLive: [],
      keptYoung: [],
      unreadableLeases: [garbled],
      keptUnsure: [A, 'cust-ffffff.ci.test'],
    });
    expect(log).toContainEqual(
      expect.stringContaining(`a live-looking lease could not be read: ${garbled}; reaping nothing this time`),
    );
    expect(log.join('\n')).not.toContain('reaping cust');
    // Nothing at all is changed in such a pass, not even dead leases.
    expect(existsSync(join(store, 'leases', 'dead.json'))).toBe(true);
  });

  it('runJanitor reaps once the unreadable lease is stale', async () => {
    mkdirSync(join(store, 'leases'));
    const garbled = join(store, 'leases', 'r9.json');
    writeFileSync(garbled, '{"runId":"r9","pid":12');
    setMtime(garbled, now - STALE_AFTER_MS - 1_000);
    const { report, log } = await janitorPass();
    expect(report.unreadableLeases).toEqual([]);
    expect(report.keptUnsure).toEqual([]);
    expect(report.reaped.map((r) => r.domain)).toEqual([A, 'cust-ffffff.ci.test']);
    expect(log).toContainEqual(
      expect.stringMatching(
        new RegExp(`^reaping ${A.replaceAll('.', '\\.')} \\(no live run owns it, 36\\d\\d s old\\)$`),
      ),
    );
    expect(log).toContainEqual(expect.stringContaining(`ignoring a stale lease that could not be read: ${garbled}`));
  });
});
