// The backstop of teardown: finds test apps (by name pattern, from the shared abra servers/ dir,
// from the swarm, and from the backup bot's repository, so apps whose .env is gone, or of which
// only a snapshot is left, are found too) that no live lease owns and that are older than the
// given age, and tears them down, snapshots included. Apps an ended run recorded as left behind
// (its teardown could not finish, e.g. Docker did not answer) are reaped at any age, and their
// record goes once they are gone. When a lease file that may belong to a live run cannot be read,
// it could own any app, so that pass reaps nothing.
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock, type Clock } from '../model/clock.js';
import { errorMessage } from '../model/errors.js';
import type { Abra } from '../abra/abra.js';
import { stackName, testAppPattern } from '../model/app-name.js';
import { botBackupRepo, testStacksIn, type BackupRepo } from '../backupbot/backup-repo.js';
import type { SwarmApi } from '../docker/swarm-api.js';
import { leftBehindApps, scanLeases, type LeaseScan, type LeaseView } from './lease.js';
import { teardownApp } from './teardown.js';

export interface JanitorOptions {
  abra: Abra;
  docker: SwarmApi;
  store: string;
  /** The shared abra dir's servers/<server> folder, where app .env files live. */
  serverDir: string;
  swarmDomain: string;
  maxAgeMs: number;
  log: (line: string) => void;
  /** Only these apps (a killed run's), when given; every orphan otherwise. */
  only?: readonly string[];
  /** The backup repository (the bot's, by default). */
  backups?: BackupRepo;
  /** Where the janitor reads the time (the apps' ages, whether a lease is fresh). */
  clock?: Clock;
}

export interface JanitorReport {
  reaped: Array<{ domain: string; left: string[] }>;
  /** The reaped apps that ended runs had left behind (reaped whatever their age). */
  leftBehind: string[];
  /** Ended runs' records of left-behind apps that stay for the next pass (an app is not gone yet). */
  recordsKept: string[];
  keptLive: string[];
  keptYoung: string[];
  /** Fresh lease files that could not be read or parsed: while there is one, nothing is reaped. */
  unreadableLeases: string[];
  /** Apps that would have been reaped had every fresh lease been readable. */
  keptUnsure: string[];
}

export interface ReapDecision {
  reap: string[];
  /** Of `reap`: the apps an ended run left behind, reaped whatever their age. */
  leftBehind: string[];
  keptLive: string[];
  keptYoung: string[];
  unreadableLeases: string[];
  keptUnsure: string[];
}

/**
 * Which candidate apps (domain -> created, ms) may be reaped now. An app named by a live lease or
 * one kept by --keep stays, so does one younger than maxAgeMs unless an ended run left it behind
 * (no run owns it, so its age tells nothing); and when a lease file that may belong to a live run
 * (fresh mtime) cannot be read, it could own any app, so nothing is reaped.
 */
export function decideReaping(
  candidates: ReadonlyMap<string, number>,
  scan: LeaseScan,
  now: number,
  maxAgeMs: number,
): ReapDecision {
  const owned = new Set(scan.leases.filter((l) => l.live || kept(l, now)).flatMap((l) => l.apps));
  const leftBehind = new Set(leftBehindApps(scan));
  const unreadableLeases = scan.unreadable.filter((u) => u.fresh).map((u) => u.path);
  const decision: ReapDecision = {
    reap: [],
    leftBehind: [],
    keptLive: [],
    keptYoung: [],
    unreadableLeases,
    keptUnsure: [],
  };
  for (const [domain, created] of candidates) {
    if (owned.has(domain)) decision.keptLive.push(domain);
    else if (now - created < maxAgeMs && !leftBehind.has(domain)) decision.keptYoung.push(domain);
    else if (unreadableLeases.length > 0) decision.keptUnsure.push(domain);
    else {
      decision.reap.push(domain);
      if (leftBehind.has(domain)) decision.leftBehind.push(domain);
    }
  }
  return decision;
}

export async function runJanitor(opts: JanitorOptions): Promise<JanitorReport> {
  const now = (opts.clock ?? systemClock).now().getTime();
  const pattern = testAppPattern(opts.swarmDomain);
  // Apps are listed before leases are read: a run claims an app before creating it, so every app
  // listed here is already in its run's lease when the leases are read.
  const candidates = new Map<string, number>(); // domain -> created (ms)
  for (const file of listEnvFiles(opts.serverDir)) {
    const domain = file.name.slice(0, -'.env'.length);
    if (pattern.domain.test(domain)) candidates.set(domain, Math.min(candidates.get(domain) ?? Infinity, file.mtimeMs));
  }
  const stacks = await opts.docker.stacks();
  const backups = opts.backups ?? botBackupRepo(opts.docker);
  for (const [stack, created] of [
    ...stacks,
    ...(await snapshotStacks(backups, (s) => pattern.stack.test(s), opts.log)),
  ]) {
    if (!pattern.stack.test(stack)) continue;
    const domain = domainOf(stack, opts.swarmDomain);
    candidates.set(domain, Math.min(candidates.get(domain) ?? Infinity, created));
  }
  const scan = scanLeases(opts.store, now);
  // A left-behind app is reaped even when nothing of it is found any more: then its teardown only
  // confirms that, and its record can go.
  for (const domain of leftBehindApps(scan)) if (!candidates.has(domain)) candidates.set(domain, now);
  if (opts.only) {
    const only = new Set(opts.only);
    for (const domain of [...candidates.keys()]) if (!only.has(domain)) candidates.delete(domain);
  }
  for (const u of scan.unreadable) {
    if (u.fresh) opts.log(`a live-looking lease could not be read: ${u.path}; reaping nothing this time (${u.error})`);
    else opts.log(`ignoring a stale lease that could not be read: ${u.path} (${u.error})`);
  }
  const decision = decideReaping(candidates, scan, now, opts.maxAgeMs);
  const report: JanitorReport = {
    reaped: [],
    leftBehind: decision.leftBehind,
    recordsKept: [],
    keptLive: decision.keptLive,
    keptYoung: decision.keptYoung,
    unreadableLeases: decision.unreadableLeases,
    keptUnsure: decision.keptUnsure,
  };
  for (const domain of decision.reap) {
    const created = candidates.get(domain)!;
    const why = decision.leftBehind.includes(domain)
      ? 'an ended run left it behind, so at any age'
      : `no live run owns it, ${Math.round((now - created) / 1000)} s old`;
    opts.log(`reaping ${domain} (${why})`);
    try {
      const result = await teardownApp({
        abra: opts.abra,
        docker: opts.docker,
        domain,
        stack: stackName(domain),
        log: opts.log,
        backups,
      });
      if (result.forgottenSnapshots.length > 0)
        opts.log(`forgot the backup snapshots of ${domain}: ${result.forgottenSnapshots.join(', ')}`);
      report.reaped.push({ domain, left: result.left });
    } catch (err) {
      report.reaped.push({ domain, left: [`teardown failed: ${errorMessage(err)}`] });
    }
  }
  // Leases of dead runs are no longer needed (left alone in a pass that reaped nothing for want of
  // a readable lease), unless they record an app left behind that is not gone yet.
  const gone = new Set(report.reaped.filter((r) => r.left.length === 0).map((r) => r.domain));
  if (decision.unreadableLeases.length === 0) {
    for (const lease of scan.leases) {
      if (lease.live || kept(lease, now)) continue;
      const waiting = (lease.leftBehind ?? []).filter((domain) => !gone.has(domain));
      if (waiting.length === 0) rmSync(lease.path, { force: true });
      else report.recordsKept.push(lease.path);
    }
  }
  return report;
}

/** Test stacks with snapshots in the backup repository; a repository that cannot be read is logged and skipped. */
async function snapshotStacks(
  backups: BackupRepo,
  isTestStack: (stack: string) => boolean,
  log: (line: string) => void,
): Promise<Map<string, number>> {
  try {
    return testStacksIn((await backups.list()) ?? [], isTestStack);
  } catch (err) {
    log(
      'the backup repository could not be read, so snapshots of past test apps are not looked for: ' +
        errorMessage(err),
    );
    return new Map();
  }
}

function kept(lease: LeaseView, now: number): boolean {
  return lease.keepUntil !== undefined && Date.parse(lease.keepUntil) > now;
}

/** The domain of a test stack: `abcd-123456_ci_test` -> `abcd-123456.ci.test`. */
function domainOf(stack: string, swarmDomain: string): string {
  const suffix = `_${stackName(swarmDomain)}`;
  return `${stack.slice(0, -suffix.length)}.${swarmDomain}`;
}

function listEnvFiles(dir: string): Array<{ name: string; mtimeMs: number }> {
  try {
    return readdirSync(dir)
      .filter((n) => n.endsWith('.env'))
      .map((name) => ({ name, mtimeMs: statSync(join(dir, name)).mtimeMs }));
  } catch {
    return [];
  }
}
