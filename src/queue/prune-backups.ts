// `restic prune` of the backup bot's repository, once per `cc-ci store prune`. Teardown and the
// janitor only forget test apps' snapshots (the records); their data stays in the repository until
// a prune. Pruning after each forget would make every teardown read the whole repository under the
// exclusive lock, and a prune blocks the backups and forgets of the runs going meanwhile (they wait
// LOCK_WAIT_MS, then fail), so it runs once a day and not while this store has a run going.
import type { PrunableRepo, RepoPruned } from '../backupbot/backup-repo.js';
import type { RunStore } from './store.js';

export type BackupPruneReport =
  | { outcome: 'pruned'; pruned: RepoPruned; dryRun: boolean }
  | { outcome: 'no-bot' }
  | { outcome: 'runs-going'; running: number };

export async function pruneBackups(opts: {
  repo: PrunableRepo;
  store: RunStore;
  dryRun?: boolean;
}): Promise<BackupPruneReport> {
  const running = opts.store.countByState().running;
  if (running > 0) return { outcome: 'runs-going', running };
  const pruned = await opts.repo.prune({ dryRun: opts.dryRun === true });
  if (!pruned) return { outcome: 'no-bot' };
  return { outcome: 'pruned', pruned, dryRun: opts.dryRun === true };
}

/** One line for `cc-ci store prune`. */
export function describeBackupPrune(report: BackupPruneReport): string {
  switch (report.outcome) {
    case 'no-bot':
      return 'backups: no running backup bot (a service labelled coop-cloud.backupbot.enabled=true): nothing to prune';
    case 'runs-going':
      return (
        `backups: not pruned: ${report.running} run(s) going, whose backups and forgets a prune would lock out; ` +
        'the next store prune tries again (run it at a quiet hour)'
      );
    case 'pruned': {
      const { bot, freed, remaining } = report.pruned;
      const verb = report.dryRun ? 'would free' : 'freed';
      return (
        `backups: restic prune in ${bot} ${verb} ${freed ?? 'what restic did not report'}` +
        `${remaining ? `; ${remaining} remain` : ''}`
      );
    }
  }
}
