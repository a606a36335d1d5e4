// `cc-ci store prune` and `cc-ci store backup`: retention once (run folders, images nothing uses, the
// backup repository's restic prune; the daily prune timer runs it), and a consistent copy of the
// database (SQLite's online backup), safe while `cc-ci serve` runs.
import { existsSync, rmSync } from 'node:fs';
import { loadConfigAsync } from '../config/load-config.js';
import type { PrunableRepo } from '../backupbot/backup-repo.js';
import type { ImageHost } from '../docker/images.js';
import { CcciError, errorMessage } from '../model/errors.js';
import { pruneRuns } from '../queue/prune.js';
import { describeBackupPrune, pruneBackups } from '../queue/prune-backups.js';
import { describeImagePrune, pruneImages } from '../queue/prune-images.js';
import { describePrune } from '../queue/pruner.js';
import type { SecretRegistry } from '../secrets/secret-registry.js';
import { backupsPort, clockPort, dockerPort, imagesPort, openStore } from './ports.js';

export interface StoreOutput {
  say: (line: string) => void;
}

const stdout: StoreOutput = { say: (line) => process.stdout.write(`${line}\n`) };

/** The ports `store prune` reaches beyond the store; tests hand in their own. */
export interface PrunePorts {
  images?: ImageHost;
  backups?: PrunableRepo;
}

/**
 * Retention once: run folders, then (unless switched off) images nothing uses and `restic prune`
 * of the backup bot's repository. Each part reports on its own line; one that fails says why and
 * makes the exit 3, the others still run.
 */
export async function storePruneCommand(
  flags: { dryRun?: boolean; config?: string },
  secrets: SecretRegistry,
  out: StoreOutput = stdout,
  ports: PrunePorts = {},
): Promise<number> {
  const config = await loadConfigAsync({ path: flags.config, secrets });
  const { retention } = config;
  const store = await openStore(config);
  let code = 0;
  const part = async (what: string, fix: string, work: () => Promise<string>) => {
    try {
      out.say(secrets.redact(await work()));
    } catch (err) {
      code = 3;
      out.say(secrets.redact(`${what}: could not prune: ${errorMessage(err)}; ${fix}`));
    }
  };
  try {
    const now = clockPort().now();
    const report = pruneRuns({ store, storeDir: config.store, policy: retention, now, dryRun: flags.dryRun });
    out.say(describePrune(report, retention));
    const { images } = retention;
    if (images === false) out.say('images: not pruned (retention.images: false)');
    else
      await part('images', 'check that Docker answers at swarm.dockerHost (cc-ci doctor)', async () => {
        const host = ports.images ?? imagesPort(config);
        const pruned = await pruneImages({
          host,
          store,
          storeDir: config.store,
          policy: images,
          now,
          dryRun: flags.dryRun,
        });
        return describeImagePrune(pruned, images);
      });
    if (!retention.resticPrune) out.say('backups: not pruned (retention.resticPrune: false)');
    else
      await part('backups', "the next store prune tries again (cc-ci doctor checks the bot's repository)", async () => {
        const repo = ports.backups ?? backupsPort(dockerPort(config));
        return describeBackupPrune(await pruneBackups({ repo, store, dryRun: flags.dryRun }));
      });
    return code;
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
