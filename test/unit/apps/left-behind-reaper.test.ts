// serve's retry of left-behind teardowns: a pass at once, another every interval while a record
// exists, a failing pass (Docker away) logged and retried, and nothing once the records are gone.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JanitorReport } from '../../../src/apps/janitor.js';
import { Lease } from '../../../src/apps/lease.js';
import { startLeftBehindReaper } from '../../../src/apps/left-behind-reaper.js';
import { FakeClock } from '../../support/fake-clock.js';

const A = 'cust-aaaaaa.ci.test';
let store: string;
beforeEach(() => {
  store = mkdtempSync(join(tmpdir(), 'cc-ci-reaper-'));
});
afterEach(() => rmSync(store, { recursive: true, force: true }));

const report = (gone: string[]): JanitorReport => ({
  reaped: gone.map((domain) => ({ domain, left: [] })),
  leftBehind: gone,
  recordsKept: [],
  keptLive: [],
  keptYoung: [],
  unreadableLeases: [],
  keptUnsure: [],
});
const settle = () => new Promise((r) => setTimeout(r, 10));

describe('the left-behind reaper', () => {
  it('retries every interval while Docker is away, and stops once the record is gone', async () => {
    const lease = new Lease(store, 'r1');
    lease.release([A]);
    const clock = new FakeClock();
    const asked: string[][] = [];
    let dockerBack = false;
    const warnings: string[] = [];
    const infos: string[] = [];
    const reaper = startLeftBehindReaper({
      store,
      clock,
      intervalMs: 20_000,
      log: { info: (l) => infos.push(l), warn: (l) => warnings.push(l) },
      reap: async (domains) => {
        asked.push(domains);
        if (!dockerBack) throw new Error('Docker Engine at unix:///run/docker.sock: connect ENOENT');
        rmSync(lease.path); // what the janitor does once the app is gone
        return report(domains);
      },
    });
    await settle();
    expect(asked).toEqual([[A]]);
    expect(warnings[0]).toMatch(/could not reap .*cust-aaaaaa.*connect ENOENT; trying again in 20 s/);
    clock.advance(19_999);
    await settle();
    expect(asked).toHaveLength(1);
    clock.advance(1);
    await settle();
    expect(asked).toHaveLength(2);
    dockerBack = true;
    clock.advance(20_000);
    await settle();
    expect(asked).toHaveLength(3);
    expect(infos).toEqual([`reaped apps that ended runs had left behind: ${A}`]);
    // No record any more: the passes go on, asking the janitor nothing.
    clock.advance(60_000);
    await settle();
    expect(asked).toHaveLength(3);
    await reaper.stop();
    expect(clock.pending).toBe(0);
  });

  it('asks nothing while no run left anything behind', async () => {
    new Lease(store, 'live').claim(A); // a live run's app is not the reaper's
    const clock = new FakeClock();
    let asked = 0;
    const reaper = startLeftBehindReaper({
      store,
      clock,
      log: { info: () => undefined, warn: () => undefined },
      reap: async () => {
        asked++;
        return report([]);
      },
    });
    await settle();
    clock.advance(60_000);
    await settle();
    expect(asked).toBe(0);
    await reaper.stop();
  });
});
