// restic against the backup bot's repository (testbed contract; env overrides for tests).
import { run, type RunResult } from './exec.js';
import { fail } from './log.js';

const REPO = '/var/lib/cc-ci-testbed/backups/restic';
const PASSWORD_FILE = '/var/lib/cc-ci-testbed/backups/restic-password';

export interface Snapshot {
  id: string;
  short_id: string;
  time: string;
  paths: string[];
  tags?: string[];
}

function restic(args: string[]): Promise<RunResult> {
  const repo = process.env['ABRA_TESTBED_RESTIC_REPOSITORY'] || REPO;
  const pw = process.env['ABRA_TESTBED_RESTIC_PASSWORD_FILE'] || PASSWORD_FILE;
  return run('restic', ['--repo', repo, '--password-file', pw, ...args]);
}

export async function ensureRepository(): Promise<void> {
  await restic(['cat', 'config', '--quiet']).catch((e: unknown) => {
    fail(`backup repository unavailable: ${e instanceof Error ? e.message : String(e)}`);
  });
}

/** One snapshot of all paths, tagged with the stack name; returns its id. */
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

export async function restore(id: string, target: string): Promise<void> {
  await restic(['restore', id, '--target', target]);
}
