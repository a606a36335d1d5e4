// restic in the backup bot, as the real abra has backup-bot-two do it (B.4 [U]): every call is
// `docker exec <bot's running container> restic …`, with the bot's own environment naming the
// repository (RESTIC_REPOSITORY, RESTIC_PASSWORD_FILE: B.2 [U]), so no --repo/--password-file.
// All restic processes touching the repository then run in one container (one hostname, one PID
// namespace), which restic's stale-lock detection needs. restic's own error text (e.g.
// "repository is already locked") reaches the FATA through run().
import { docker, type RunResult } from './exec.js';
import { fail } from './log.js';
import { backupBotContainer } from './swarm.js';

/** A dir the bot and the host see at the same path (bind-mounted by testbed/backupbot/compose.yml; it also
 *  holds the repository): restores go to scratch dirs in it. */
export const SHARED_DIR = '/var/lib/cc-ci-testbed/backups';

export interface Snapshot {
  id: string;
  short_id: string;
  time: string;
  paths: string[];
  tags?: string[];
}

/** Found once per abra command: a command's restic calls all go to the same container. */
let bot: Promise<string | undefined> | undefined;

async function restic(args: string[]): Promise<RunResult> {
  bot ??= backupBotContainer();
  const c = await bot;
  if (c === undefined)
    return fail('no backupbot deployed: no running container of a service labelled coop-cloud.backupbot.enabled=true');
  return docker(['exec', c, 'restic', ...args]);
}

export async function ensureRepository(): Promise<void> {
  // --no-lock: only reads the config; never in the way of another restic's exclusive lock (a forget)
  await restic(['--no-lock', 'cat', 'config', '--quiet']).catch((e: unknown) => {
    fail(`backup repository unavailable: ${e instanceof Error ? e.message : String(e)}`);
  });
}

/** One snapshot of all paths (the same inside the bot as on the host), tagged with the stack name; returns its id. */
export async function backup(paths: string[], tag: string): Promise<string> {
  const res = await restic(['backup', '--json', '--tag', tag, ...paths]);
  for (const line of res.stdout.split('\n').reverse()) {
    if (!line.startsWith('{')) continue;
    const msg = JSON.parse(line) as { message_type?: string; snapshot_id?: string };
    if (msg.message_type === 'summary' && msg.snapshot_id) return msg.snapshot_id;
  }
  return fail('restic did not report a snapshot id');
}

/** Snapshots with the stack's tag, oldest first. */
export async function snapshots(tag: string): Promise<Snapshot[]> {
  const res = await restic(['snapshots', '--json', '--tag', tag]);
  const list = (JSON.parse(res.stdout || '[]') ?? []) as Snapshot[];
  return list.sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
}

/** Restore into `target`, a dir the bot and the host both see (under the bind-mounted backups dir). */
export async function restore(id: string, target: string): Promise<void> {
  await restic(['restore', id, '--target', target]);
}
