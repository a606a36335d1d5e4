// The backup bot's restic repository, as far as cc-ci touches it: the snapshots a test app left
// there, and forgetting them when the app is torn down (DESIGN §4.8), so a shared repository does
// not fill with test data. cc-ci runs restic in the bot's running container (the service labelled
// coop-cloud.backupbot.enabled=true, the way abra finds it), with the bot's own environment, as
// `abra app run <bot> app -- restic …` would (interfaces.md B.3 [U]).
//
// What is guessed [U] and how cc-ci copes either way:
// - The bot's environment names the repository (RESTIC_REPOSITORY, B.2). Its password is in
//   RESTIC_PASSWORD_FILE, or else in the `restic_password` secret at /run/secrets/restic_password
//   (B.2's SECRET_RESTIC_PASSWORD_VERSION), which is tried when restic asks for a password.
// - Which snapshots are one app's: those tagged with its stack name (the stand-in does so, and
//   backup-bot-two's `--host` filter is remembered to work by tag), or, when a snapshot has no
//   tags, those whose every path is in the app's volumes (`…/volumes/<stack>_<volume>/_data`).
//   A snapshot that also holds other paths (a nightly backup of every app) is never one app's.
//
// `restic forget` takes an exclusive lock and fails at once while anyone else holds a lock
// (restic 0.14 has no --retry-lock), so a locked repository is retried with backoff, after
// clearing the locks restic judges stale (`restic unlock`). Only the
// snapshot records are forgotten; the space comes back at the repository's next `restic prune`,
// which `cc-ci store prune` runs once a day (src/queue/prune-backups.ts), never after each forget:
// a prune reads the whole repository and holds the exclusive lock while it repacks.
import { setTimeout as delay } from 'node:timers/promises';
import { CcciError, errorMessage, FactError } from '../model/errors.js';
import type { ExecOptions, SwarmApi } from '../docker/swarm-api.js';

/** How abra finds the backup bot (interfaces.md B.4 [U]); the testbed's stand-in bot carries it too. */
export const BACKUPBOT_LABEL = 'coop-cloud.backupbot.enabled';
/** Where a Docker secret named `restic_password` is mounted (backup-bot-two's, B.2 [U]). */
const SECRET_PASSWORD_FILE = '/run/secrets/restic_password';
/** How long a forget waits out another restic's lock before giving up. */
export const LOCK_WAIT_MS = 60_000;
/** How long a `restic prune` may take: it reads every pack in use, so it grows with the repository. */
export const PRUNE_TIMEOUT_MS = 3 * 3_600_000;

export interface RepoSnapshot {
  id: string;
  shortId: string;
  time: string;
  tags: string[];
  paths: string[];
}

export interface BackupRepo {
  /** Every snapshot of the repository, or undefined when no backup bot runs (then there is nothing to forget). */
  list(): Promise<RepoSnapshot[] | undefined>;
  /** Forgets these snapshots (the records only: no prune). */
  forget(ids: string[]): Promise<void>;
}

/** What one `restic prune` freed, in restic's own words (counts of blobs, sizes as restic prints them). */
export interface RepoPruned {
  bot: string;
  /** "2 blobs / 499 B": restic's `total prune` line. */
  freed?: string;
  /** "4 blobs / 488.935 KiB": restic's `remaining` line. */
  remaining?: string;
}

export interface PrunableRepo extends BackupRepo {
  /** `restic prune` (`--dry-run`: only what it would free), waiting out another's lock; undefined when no bot runs. */
  prune(opts?: { dryRun?: boolean }): Promise<RepoPruned | undefined>;
}

/**
 * restic's words for "someone else holds the lock"
 * (0.14: "unable to create lock in backend: repository is already locked …").
 */
export function isRepoLocked(text: string): boolean {
  return /repository is already locked|unable to create lock/i.test(text);
}

export interface LockWait {
  /** How long to keep retrying (LOCK_WAIT_MS). */
  waitMs?: number;
  /** For tests: the pause between tries. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Runs `op` again while it fails because another restic holds the repository's lock (a backup
 * of another run, a forget, the bot's own schedule), with backoff, for up to `waitMs`. Then it
 * reports the lock: a FactError (the repository is locked) whose cause is the last failure, with
 * its message; blame.ts judges it.
 */
export async function whileRepoLocked<T>(op: () => Promise<T>, signal?: AbortSignal, opts: LockWait = {}): Promise<T> {
  const deadline = Date.now() + (opts.waitMs ?? LOCK_WAIT_MS);
  const sleep = opts.sleep ?? ((ms: number, s?: AbortSignal) => delay(ms, undefined, { signal: s }));
  for (let wait = 1_000; ; wait = Math.min(wait * 2, 10_000)) {
    try {
      return await op();
    } catch (err) {
      if (!isRepoLocked(errorMessage(err))) throw err;
      if (Date.now() + wait >= deadline || signal?.aborted) {
        throw new FactError({ source: 'backup-repo', what: 'locked' }, errorMessage(err), { cause: err });
      }
      await sleep(wait, signal);
    }
  }
}

/** The repository behind the backup bot of this swarm, through `docker exec`. */
export function botBackupRepo(docker: SwarmApi, lockWait: LockWait = {}): PrunableRepo {
  let passwordArgs: string[] = [];

  async function bot(): Promise<string | undefined> {
    const bots = await docker.servicesLabelled(BACKUPBOT_LABEL, 'true');
    return bots.find((b) => b.running > 0)?.name;
  }

  /**
   * One restic command in the bot, with the bot's environment (and its password secret when that
   * is where the password is).
   */
  async function restic(name: string, args: string[], opts: ExecOptions = {}): Promise<string> {
    let res = await docker.execInNamedService(name, ['restic', ...passwordArgs, ...args], opts);
    if (res.exitCode !== 0 && passwordArgs.length === 0 && asksForPassword(res.stderr)) {
      res = await docker.execInNamedService(name, ['restic', '--password-file', SECRET_PASSWORD_FILE, ...args], opts);
      if (res.exitCode === 0) passwordArgs = ['--password-file', SECRET_PASSWORD_FILE];
    }
    if (res.exitCode === 0) return res.stdout;
    const said = (res.stderr || res.stdout).trim();
    throw new CcciError(
      'DOCKER_FAILED',
      `restic ${args[0]} in ${name} exited with ${res.exitCode}: ${firstLines(said)}${hint(said)}`,
    );
  }

  /**
   * restic, waiting out another's lock. On the first lock, `restic unlock` removes the locks restic
   * itself judges stale: restic 0.14 keeps being blocked by the lock of a restic killed in the
   * same container, which only `unlock` clears (never `--remove-all`: a live lock stays).
   */
  async function resticWaiting(name: string, args: string[], opts: ExecOptions = {}): Promise<string> {
    let unlocked = false;
    return whileRepoLocked(
      async () => {
        try {
          return await restic(name, args, opts);
        } catch (err) {
          if (!unlocked && isRepoLocked(errorMessage(err))) {
            unlocked = true;
            await restic(name, ['unlock']).catch(() => undefined);
          }
          throw err;
        }
      },
      undefined,
      lockWait,
    );
  }

  return {
    async list() {
      const name = await bot();
      if (name === undefined) return undefined;
      return parseSnapshots(await resticWaiting(name, ['snapshots', '--json']), name);
    },
    async forget(ids) {
      if (ids.length === 0) return;
      const name = await bot();
      if (name === undefined)
        throw new CcciError(
          'DOCKER_FAILED',
          `no running service labelled ${BACKUPBOT_LABEL}=true to forget snapshots with`,
        );
      await resticWaiting(name, ['forget', ...ids]);
    },
    async prune(opts = {}) {
      const name = await bot();
      if (name === undefined) return undefined;
      const args = opts.dryRun ? ['prune', '--dry-run'] : ['prune'];
      const said = await resticWaiting(name, args, { timeoutMs: PRUNE_TIMEOUT_MS });
      return { bot: name, ...readPruneSummary(said) };
    },
  };
}

/** restic's summary of a prune (0.14: `total prune:  2 blobs / 499 B`, `remaining:  4 blobs / 488.935 KiB`). */
export function readPruneSummary(stdout: string): { freed?: string; remaining?: string } {
  const line = (key: string) => new RegExp(`^${key}:\\s+(\\d+ blobs / [\\d.]+ \\w+)\\s*$`, 'm').exec(stdout)?.[1];
  const freed = line('total prune');
  const remaining = line('remaining');
  return { ...(freed ? { freed } : {}), ...(remaining ? { remaining } : {}) };
}

export interface Forgotten {
  /** Short ids of the snapshots forgotten. */
  forgotten: string[];
  /**
   * What is left, in teardown's words ("restic snapshot 1a2b3c4d of <stack> in the backup repository"),
   * or why the repository could not be read.
   */
  left: string[];
}

/** Forgets the snapshots of one stack and checks they are gone. */
export async function forgetStackSnapshots(repo: BackupRepo, stack: string): Promise<Forgotten> {
  try {
    const mine = snapshotsOf((await repo.list()) ?? [], stack);
    if (mine.length === 0) return { forgotten: [], left: [] };
    await repo.forget(mine.map((s) => s.id));
    const left = snapshotsOf((await repo.list()) ?? [], stack);
    return {
      forgotten: mine.filter((s) => !left.some((l) => l.id === s.id)).map((s) => s.shortId),
      left: left.map((s) => `restic snapshot ${s.shortId} of ${stack} in the backup repository`),
    };
  } catch (err) {
    return { forgotten: [], left: [`backup snapshots of ${stack}: could not be forgotten (${errorMessage(err)})`] };
  }
}

/**
 * The snapshots that are this stack's alone. A tagged snapshot is the stack's when its tags name
 * it (a tag names whose it is, and a tag of another app's stack settles that it is not ours); an
 * untagged one when every path it holds lies in the stack's volumes.
 */
export function snapshotsOf(list: readonly RepoSnapshot[], stack: string): RepoSnapshot[] {
  return list.filter((s) =>
    s.tags.length > 0
      ? s.tags.includes(stack)
      : s.paths.length > 0 && s.paths.every((p) => volumeOf(p)?.startsWith(`${stack}_`)),
  );
}

/** Every stack that `isTestStack` accepts and that has snapshots of its own, with its oldest snapshot's time (ms). */
export function testStacksIn(
  list: readonly RepoSnapshot[],
  isTestStack: (stack: string) => boolean,
): Map<string, number> {
  const found = new Map<string, number>();
  for (const s of list) {
    const candidates = new Set(s.tags.filter(isTestStack));
    const volume = s.paths.length > 0 ? volumeOf(s.paths[0]!) : undefined;
    // A volume is `<stack>_<name>` and both may hold underscores: try every cut.
    for (let i = volume?.indexOf('_') ?? -1; volume && i > 0; i = volume.indexOf('_', i + 1)) {
      if (isTestStack(volume.slice(0, i))) candidates.add(volume.slice(0, i));
    }
    const t = Date.parse(s.time);
    for (const stack of candidates) {
      if (snapshotsOf([s], stack).length === 0) continue;
      found.set(stack, Math.min(found.get(stack) ?? Infinity, Number.isNaN(t) ? Date.now() : t));
    }
  }
  return found;
}

/** The Docker volume a backed-up path lies in: `/var/lib/docker/volumes/<volume>/_data/…` (any data root). */
function volumeOf(path: string): string | undefined {
  return /\/volumes\/([^/]+)\/_data(?:\/|$)/.exec(path)?.[1];
}

function parseSnapshots(stdout: string, bot: string): RepoSnapshot[] {
  let raw: unknown;
  try {
    raw = JSON.parse(stdout.trim() || '[]');
  } catch (err) {
    throw new CcciError(
      'DOCKER_FAILED',
      `restic snapshots --json in ${bot} did not print JSON (${errorMessage(err)}): ${firstLines(stdout)}`,
    );
  }
  if (raw === null) return [];
  if (!Array.isArray(raw))
    throw new CcciError('DOCKER_FAILED', `restic snapshots --json in ${bot} printed ${typeof raw}, not a list`);
  return raw.flatMap((s: Record<string, unknown>) =>
    typeof s['id'] !== 'string'
      ? []
      : [
          {
            id: s['id'],
            shortId: typeof s['short_id'] === 'string' ? s['short_id'] : s['id'].slice(0, 8),
            time: typeof s['time'] === 'string' ? s['time'] : '',
            tags: Array.isArray(s['tags']) ? s['tags'].filter((t): t is string => typeof t === 'string') : [],
            paths: Array.isArray(s['paths']) ? s['paths'].filter((p): p is string => typeof p === 'string') : [],
          },
        ],
  );
}

function asksForPassword(stderr: string): boolean {
  return (
    /password/i.test(stderr) &&
    !/wrong password/i.test(stderr) &&
    /empty password|password.*(required|not set|specify)|resolving password/i.test(stderr)
  );
}

function hint(said: string): string {
  if (/specify repository location|repository.*(not set|required)/i.test(said)) {
    return (
      ": the backup bot's container has no RESTIC_REPOSITORY in its environment, " +
      'so cc-ci cannot find its repository'
    );
  }
  if (/executable file not found|no such file/i.test(said) && /restic/i.test(said))
    return ": the backup bot's container has no restic on its PATH";
  return '';
}

function firstLines(text: string): string {
  return text.trim().split('\n').slice(0, 3).join(' | ').slice(0, 400);
}
