// `cc-ci store prune` and `cc-ci store backup`: retention once, by hand, and a consistent copy of
// the database (SQLite's online backup), safe while `cc-ci serve` runs.
import { existsSync, rmSync } from 'node:fs';
import { loadConfigAsync } from '../config/load-config.js';
import { CcciError } from '../model/errors.js';
import { pruneRuns } from '../queue/prune.js';
import { describePrune } from '../queue/pruner.js';
import type { SecretRegistry } from '../secrets/secret-registry.js';
import { clockPort, openStore } from './ports.js';

export interface StoreOutput {
  say: (line: string) => void;
}

const stdout: StoreOutput = { say: (line) => process.stdout.write(`${line}\n`) };

export async function storePruneCommand(
  flags: { dryRun?: boolean; config?: string },
  secrets: SecretRegistry,
  out: StoreOutput = stdout,
): Promise<number> {
  const config = await loadConfigAsync({ path: flags.config, secrets });
  const store = await openStore(config);
  try {
    const report = pruneRuns({
      store,
      storeDir: config.store,
      policy: config.retention,
      now: clockPort().now(),
      dryRun: flags.dryRun,
    });
    out.say(describePrune(report, config.retention));
    return 0;
  } finally {
    store.close();
  }
}

export async function storeBackupCommand(
  file: string,
  flags: { force?: boolean; config?: string },
  secrets: SecretRegistry,
  out: StoreOutput = stdout,
): Promise<number> {
  const config = await loadConfigAsync({ path: flags.config, secrets });
  if (existsSync(file)) {
    if (!flags.force)
      throw new CcciError('USAGE', `${file} exists: choose another file, or pass --force to overwrite it`);
    rmSync(file);
  }
  const store = await openStore(config);
  try {
    await store.backup(file);
  } finally {
    store.close();
  }
  out.say(`backed up the run store to ${file}; to restore it, see docs/operating.md ("Backing up the store")`);
  return 0;
}
