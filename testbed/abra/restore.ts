// `abra app restore`: as backup-bot-two does it (B.4 [U], remembered): the snapshot's files are
// written over the backed-up paths and nothing is deleted, so a file added after the backup
// stays. restic (in the bot) restores into a scratch dir that the bot and the host both see,
// then the files are copied over on the host, between the restore hooks (which, as for backup,
// only log a failure).
import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { prepare, runHooks } from './backup.js';
import { run } from './exec.js';
import { fail, info, warn } from './log.js';
import { restore, SHARED_DIR, snapshots, type Snapshot } from './restic.js';

function pick(list: Snapshot[], id: string | undefined): Snapshot | undefined {
  if (id === undefined) return list[list.length - 1];
  return list.find((s) => s.id.startsWith(id) || s.short_id === id);
}

/** Only paths inside this stack's volumes may be written. */
function inside(path: string, mountpoints: string[]): boolean {
  return mountpoints.some((m) => path === m || path.startsWith(`${m}/`));
}

/** Copy `src` over `dst`: files in the snapshot are overwritten, files only in `dst` stay. */
export async function overwrite(src: string, dst: string): Promise<void> {
  if (statSync(src).isDirectory()) {
    await mkdir(dst, { recursive: true });
    await run('cp', ['-a', `${src}/.`, `${dst}/`]);
  } else {
    await run('cp', ['-a', src, dst]);
  }
}

export async function restoreCommand(domain: string, snapshotId: string | undefined, chaos: boolean): Promise<void> {
  const { app, plan } = await prepare(domain, chaos);
  const snap = pick(await snapshots(app.stack), snapshotId);
  if (snap === undefined)
    fail(snapshotId ? `snapshot ${snapshotId} not found for ${app.stack}` : `no snapshots for ${app.stack}`);
  const tmp = await mkdtemp(join(SHARED_DIR, 'restore-'));
  try {
    await restore(snap.id, tmp);
    await runHooks(app.stack, plan.hooks.restorePre, 'restore pre-hook');
    for (const p of snap.paths) {
      const src = join(tmp, p);
      if (!inside(p, plan.mountpoints)) warn(`${p} is not in a volume of ${app.stack}; skipped`);
      else if (!existsSync(src)) warn(`${p} is not in snapshot ${snap.short_id}; skipped`);
      else await overwrite(src, p);
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  await runHooks(app.stack, plan.hooks.restorePost, 'restore post-hook');
  info(`restore succeeded: snapshot ${snap.short_id}`);
}
