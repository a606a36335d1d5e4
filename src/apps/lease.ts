// A live run's claim on its apps: `<store>/leases/<runId>.json` holds the pid and the app
// domains; the file's mtime is the heartbeat. The janitor reaps an app only when no live lease
// names it, so it never touches a concurrent run.
//
// A lease is always written whole: to a temp file in the same folder, then renamed over the
// lease, so a reader sees the old lease or the new one, never half of one.
//
// A run whose teardown could not remove an app (Docker did not answer, say) does not drop its
// lease: it rewrites it as ended, naming those apps in `leftBehind`. No run owns them any more,
// so the janitor reaps them at any age, and removes the lease once they are gone.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { systemClock, type Clock } from '../model/clock.js';
import { CcciError, errorMessage } from '../model/errors.js';
import { pidAlive } from '../process/run-child.js';

export const HEARTBEAT_MS = 5_000;
// A lease whose heartbeat is older than this is dead even if its pid was reused.
export const STALE_AFTER_MS = 6 * HEARTBEAT_MS;
/** Temp files of a writer that died between write and rename are removed after this long. */
export const TEMP_MAX_AGE_MS = 60_000;

export interface LeaseRecord {
  runId: string;
  pid: number;
  startedAt: string;
  apps: string[];
  /** Set by --keep: the apps stay until then, and the janitor leaves them alone until then. */
  keepUntil?: string;
  /** Set when the run has ended: from then on the lease is never live, whatever its pid. */
  endedAt?: string;
  /** Apps the ended run's teardown could not remove: the janitor reaps them whatever their age. */
  leftBehind?: string[];
}

/** What the runner needs of a lease; a fake of it lets the runner be unit-tested without files. */
export interface RunLease {
  /** Claims an app before it is created; throws when the claim cannot be recorded. */
  claim(domain: string): void;
  /**
   * --keep: the lease outlives the run and protects `apps` from the janitor until `until`; apps in
   * `leftBehind` (teardown could not remove them) are recorded for the janitor to reap at any age.
   */
  keep(until: string, apps: string[], leftBehind?: string[]): void;
  /** The run is over: the lease goes, or stays as the record of the apps in `leftBehind`. */
  release(leftBehind?: string[]): void;
  readonly apps: readonly string[];
}

export interface LeaseOptions {
  /** Told when the heartbeat, --keep or release could not update the lease file; never throws instead. */
  onError?: (message: string) => void;
  /** Where the lease reads the time (its start, the heartbeat). */
  clock?: Clock;
}

export class Lease implements RunLease {
  private readonly record: LeaseRecord;
  private timer: NodeJS.Timeout | undefined;
  private readonly onError: (message: string) => void;
  private readonly clock: Clock;
  readonly path: string;

  /** Writes the lease at once; throws a CcciError when it cannot. */
  constructor(store: string, runId: string, options: LeaseOptions = {}) {
    this.onError = options.onError ?? ((message) => process.stderr.write(`cc-ci: ${message}\n`));
    this.clock = options.clock ?? systemClock;
    const dir = join(store, 'leases');
    this.path = join(dir, `${runId}.json`);
    this.record = { runId, pid: process.pid, startedAt: this.clock.now().toISOString(), apps: [] };
    try {
      mkdirSync(dir, { recursive: true });
      this.write();
    } catch (err) {
      throw this.unwritable('starting the run', err);
    }
    this.timer = setInterval(() => this.beat(), HEARTBEAT_MS);
    this.timer.unref();
  }

  get apps(): readonly string[] {
    return [...this.record.apps];
  }

  /** Claims an app before it is created, so there is never a moment it could be taken for an orphan. */
  claim(domain: string): void {
    this.record.apps.push(domain);
    try {
      this.write();
    } catch (err) {
      this.record.apps = this.record.apps.filter((a) => a !== domain);
      throw this.unwritable(`claiming ${domain}`, err);
    }
  }

  /** --keep: the lease outlives the run and protects its apps from the janitor until `until`. */
  keep(until: string, apps: string[], leftBehind: string[] = []): void {
    this.stop();
    this.record.keepUntil = until;
    this.record.apps = [...apps];
    this.end(leftBehind);
    try {
      this.write();
    } catch (err) {
      this.onError(
        `could not write the lease ${this.path} for --keep (${errorMessage(err)}): ` +
          `the kept apps ${apps.join(', ')} are not protected from the janitor` +
          this.unrecorded(leftBehind),
      );
    }
  }

  release(leftBehind: string[] = []): void {
    this.stop();
    if (leftBehind.length > 0) {
      this.record.apps = [];
      this.end(leftBehind);
      try {
        this.write();
      } catch (err) {
        this.onError(`could not write the lease ${this.path} (${errorMessage(err)})${this.unrecorded(leftBehind)}`);
      }
      return;
    }
    try {
      rmSync(this.path, { force: true });
    } catch (err) {
      this.onError(
        `could not remove the lease ${this.path} (${errorMessage(err)}); the janitor removes it once it is stale`,
      );
    }
  }

  /** Marks the lease as the record of an ended run's apps left behind (nothing when there are none). */
  private end(leftBehind: string[]): void {
    if (leftBehind.length === 0) return;
    this.record.endedAt = this.clock.now().toISOString();
    this.record.leftBehind = [...leftBehind];
  }

  private unrecorded(leftBehind: string[]): string {
    if (leftBehind.length === 0) return '';
    return (
      `; the apps teardown left (${leftBehind.join(', ')}) are not recorded, so the janitor reaps them ` +
      'only once they are older than its --max-age (runner.janitorMaxAge): run `cc-ci janitor --max-age 0` ' +
      'when Docker answers again'
    );
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The timer's work: never throws, since nothing could catch it. */
  private beat(): void {
    const now = this.clock.now();
    try {
      utimesSync(this.path, now, now);
      return;
    } catch (err) {
      this.onError(`lease heartbeat: could not touch ${this.path} (${errorMessage(err)}); writing it again`);
    }
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      this.write();
    } catch (err) {
      this.onError(
        `lease heartbeat: could not write ${this.path} (${errorMessage(err)}); ` +
          `until it can be written, the janitor may take this run's apps ` +
          `(${this.record.apps.join(', ') || 'none yet'}) for orphans`,
      );
    }
  }

  /** Writes the whole lease to a temp file beside it and renames that over the lease. */
  private write(): void {
    const tmp = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify(this.record, null, 2));
      renameSync(tmp, this.path);
    } catch (err) {
      try {
        rmSync(tmp, { force: true });
      } catch {
        /* the folder itself is gone or unusable */
      }
      throw err;
    }
  }

  private unwritable(what: string, err: unknown): CcciError {
    return new CcciError(
      'STORE_FAILED',
      `could not write the lease ${this.path} (${what}): ${errorMessage(err)}; ` +
        `check that the store folder ${dirname(dirname(this.path))} (\`store\` in cc-ci.yml) exists, ` +
        'is writable by this user and its disk is not full',
      { cause: err },
    );
  }
}

export interface LeaseView extends LeaseRecord {
  path: string;
  /** Its run is still going: not ended, pid alive, heartbeat fresh. */
  live: boolean;
}

export interface UnreadableLease {
  path: string;
  /** Its mtime is younger than STALE_AFTER_MS: it may belong to a live run. */
  fresh: boolean;
  error: string;
}

export interface LeaseScan {
  leases: LeaseView[];
  /** Lease files that exist but could not be read or parsed. */
  unreadable: UnreadableLease[];
}

/** The apps ended runs left behind, by the leases that record them (what the janitor reaps at any age). */
export function leftBehindApps(scan: LeaseScan): string[] {
  return [...new Set(scan.leases.flatMap((l) => (l.live ? [] : (l.leftBehind ?? []))))];
}

/** Every lease in the store, each judged live or dead now. Unreadable lease files are left out. */
export function readLeases(store: string, now = Date.now()): LeaseView[] {
  return scanLeases(store, now).leases;
}

/**
 * Every lease in the store, each judged live or dead now, and the lease files that could not be
 * read. Temp files of writers are skipped; those older than TEMP_MAX_AGE_MS are removed.
 */
export function scanLeases(store: string, now = Date.now()): LeaseScan {
  const dir = join(store, 'leases');
  const scan: LeaseScan = { leases: [], unreadable: [] };
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return scan;
  }
  for (const name of names) {
    const path = join(dir, name);
    if (name.endsWith('.tmp')) {
      removeOldTemp(path, now);
      continue;
    }
    if (!name.endsWith('.json')) continue;
    let mtimeMs: number;
    try {
      mtimeMs = statSync(path).mtimeMs;
    } catch {
      continue;
    } // released since readdir
    const fresh = now - mtimeMs < STALE_AFTER_MS;
    try {
      const record = parseRecord(readFileSync(path, 'utf8'));
      const live = record.endedAt === undefined && fresh && pidAlive(record.pid);
      scan.leases.push({ ...record, path, live });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // released since the stat
      scan.unreadable.push({ path, fresh, error: errorMessage(err) });
    }
  }
  return scan;
}

function parseRecord(text: string): LeaseRecord {
  const r = JSON.parse(text) as Partial<LeaseRecord> | null;
  if (
    !r ||
    typeof r !== 'object' ||
    !Number.isInteger(r.pid) ||
    (r.pid as number) <= 0 ||
    !Array.isArray(r.apps) ||
    !r.apps.every((a) => typeof a === 'string') ||
    (r.leftBehind !== undefined && !(Array.isArray(r.leftBehind) && r.leftBehind.every((a) => typeof a === 'string')))
  ) {
    throw new Error('not a lease: pid or apps missing');
  }
  return r as LeaseRecord;
}

function removeOldTemp(path: string, now: number): void {
  try {
    if (now - statSync(path).mtimeMs > TEMP_MAX_AGE_MS) rmSync(path, { force: true });
  } catch {
    /* gone already, or not ours to remove */
  }
}
