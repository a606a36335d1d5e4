// Retention's adapter: deletes the folders of the runs model/retention.ts picks (logs, events,
// checkout and artifacts alike) and marks their rows pruned; the rows themselves stay.
import { existsSync, lstatSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runsToPrune, type RetentionPolicy } from '../model/retention.js';
import { runFolder } from '../model/run-folder.js';
import type { RunStore } from './store.js';

export interface PruneReport {
  /** The runs whose folders were (or, dry, would be) deleted. */
  runs: string[];
  bytes: number;
  dryRun: boolean;
}

export interface PruneOptions {
  store: RunStore;
  /** The store folder (config.store), which holds runs/<id>/. */
  storeDir: string;
  policy: RetentionPolicy;
  now: Date;
  dryRun?: boolean;
}

export function pruneRuns(opts: PruneOptions): PruneReport {
  const ids = runsToPrune(opts.store.retentionRows(), opts.now, opts.policy);
  const report: PruneReport = { runs: [], bytes: 0, dryRun: opts.dryRun === true };
  for (const id of ids) {
    const { dir } = runFolder(opts.storeDir, id);
    const bytes = sizeOf(dir);
    if (!report.dryRun) {
      // Marked first: a page read between the two says "pruned" rather than showing a half-deleted run.
      if (!opts.store.markPruned(id, opts.now)) continue;
      rmSync(dir, { recursive: true, force: true });
    }
    report.runs.push(id);
    report.bytes += bytes;
  }
  return report;
}

/** Bytes under a path, symlinks counted as themselves (never followed). */
function sizeOf(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = lstatSync(path);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((sum, name) => sum + sizeOf(join(path, name)), 0);
}
