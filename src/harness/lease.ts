// A live run's claim on its apps: `<store>/leases/<runId>.json` holds the pid and the app
// domains; the file's mtime is the heartbeat. The janitor reaps an app only when no live lease
// names it, so it never touches a concurrent run.
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const HEARTBEAT_MS = 5_000;
// A lease whose heartbeat is older than this is dead even if its pid was reused.
export const STALE_AFTER_MS = 6 * HEARTBEAT_MS;

export interface LeaseRecord {
  runId: string;
  pid: number;
  startedAt: string;
  apps: string[];
  /** Set by --keep: the apps stay until then, and the janitor leaves them alone until then. */
  keepUntil?: string;
}

export class Lease {
  private readonly record: LeaseRecord;
  private timer: NodeJS.Timeout | undefined;
  readonly path: string;

  constructor(store: string, runId: string) {
    const dir = join(store, 'leases');
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, `${runId}.json`);
    this.record = { runId, pid: process.pid, startedAt: new Date().toISOString(), apps: [] };
    this.write();
    this.timer = setInterval(() => this.beat(), HEARTBEAT_MS);
    this.timer.unref();
  }

  /** Claims an app before it is created, so there is never a moment it could be taken for an orphan. */
  claim(domain: string): void {
    this.record.apps.push(domain);
    this.write();
  }

  /** --keep: the lease outlives the run and protects its apps from the janitor until `until`. */
  keep(until: string, apps: string[]): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.record.keepUntil = until;
    this.record.apps = apps;
    this.write();
  }

  release(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    rmSync(this.path, { force: true });
  }

  private beat(): void {
    const now = new Date();
    try { utimesSync(this.path, now, now); } catch { this.write(); }
  }

  private write(): void {
    writeFileSync(this.path, JSON.stringify(this.record, null, 2));
  }
}

export interface LeaseView extends LeaseRecord {
  path: string;
  live: boolean;
}

/** Every lease in the store, each judged live or dead now. */
export function readLeases(store: string, now = Date.now()): LeaseView[] {
  const dir = join(store, 'leases');
  let names: string[];
  try { names = readdirSync(dir).filter((n) => n.endsWith('.json')); } catch { return []; }
  return names.flatMap((name) => {
    const path = join(dir, name);
    try {
      const record = JSON.parse(readFileSync(path, 'utf8')) as LeaseRecord;
      const fresh = now - statSync(path).mtimeMs < STALE_AFTER_MS;
      return [{ ...record, path, live: fresh && pidAlive(record.pid) }];
    } catch {
      return [];
    }
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
