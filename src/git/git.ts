// The recipe checkout: clone, resolve a ref to a commit, check it out, list release tags.
// Refs and URLs are validated before they get here; `--end-of-options` keeps them from ever
// being read as options anyway.
import { CcciError } from '../model/errors.js';
import { childEnv } from '../process/child-env.js';
import { runProcess, type ProcessResult } from '../process/run-process.js';

export interface GitOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  onLine?: (line: string) => void;
}

export const GIT_TIMEOUT_MS = 300_000;

const gitEnv = childEnv({
  GIT_TERMINAL_PROMPT: '0',
  // Only plain transports; `ext::` and friends would run commands.
  GIT_ALLOW_PROTOCOL: 'file:http:https:ssh:git',
  GIT_CONFIG_NOSYSTEM: '1',
  LC_ALL: 'C',
});

async function git(args: string[], cwd: string | undefined, opts: GitOptions): Promise<ProcessResult> {
  return runProcess('git', args, {
    cwd,
    env: gitEnv,
    signal: opts.signal,
    timeoutMs: opts.timeoutMs ?? GIT_TIMEOUT_MS,
    onLine: opts.onLine ? (line) => opts.onLine?.(line) : undefined,
  });
}

async function gitOk(args: string[], cwd: string | undefined, opts: GitOptions, what: string): Promise<string> {
  const r = await git(args, cwd, opts);
  if (r.cancelled) throw new CcciError('CANCELLED', `${what}: cancelled`);
  if (r.timedOut)
    throw new CcciError(
      'DEADLINE',
      `${what}: git ${args[0]} gave no answer within ${Math.round((opts.timeoutMs ?? GIT_TIMEOUT_MS) / 1000)} s`,
    );
  if (r.exitCode !== 0)
    throw new CcciError('GIT_FAILED', `${what}: git ${args[0]} exited ${r.exitCode}: ${lastLine(r.stderr)}`);
  return r.stdout.trim();
}

export async function cloneRepo(url: string, dir: string, opts: GitOptions = {}): Promise<void> {
  await gitOk(['clone', '--quiet', '--no-checkout', '--end-of-options', url, dir], undefined, opts, `cloning ${url}`);
}

/**
 * The commit a ref names: a tag, a branch of the remote, a full ref (fetched if the clone does
 * not have it, e.g. refs/pull/7/head) or a commit sha. Unknown → RECIPE_INVALID.
 */
export async function resolveRef(dir: string, ref: string, opts: GitOptions = {}): Promise<string> {
  for (const candidate of [`refs/tags/${ref}`, `refs/remotes/origin/${ref}`, ref]) {
    const r = await git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${candidate}^{commit}`], dir, opts);
    if (r.exitCode === 0) return r.stdout.trim();
  }
  const fetched = await git(['fetch', '--quiet', '--no-tags', 'origin', '--end-of-options', ref], dir, opts);
  if (fetched.cancelled) throw new CcciError('CANCELLED', 'fetching the ref: cancelled');
  // A forge that does not answer is not a bad ref: that would refuse the run as bad input.
  if (fetched.timedOut)
    throw new CcciError(
      'DEADLINE',
      `fetching ${ref}: git fetch gave no answer within ${Math.round((opts.timeoutMs ?? GIT_TIMEOUT_MS) / 1000)} s`,
    );
  if (fetched.exitCode === 0) {
    const r = await git(['rev-parse', '--verify', '--quiet', 'FETCH_HEAD^{commit}'], dir, opts);
    if (r.exitCode === 0) return r.stdout.trim();
  }
  throw new CcciError(
    'RECIPE_INVALID',
    `ref ${JSON.stringify(ref)} is not a branch, tag or commit of the recipe repository`,
  );
}

/**
 * The pinned commit, made present in the clone: the run tests it whatever the ref names by now.
 * The ref is fetched first (the usual way the commit arrives, and what the log compares it
 * with); a commit the ref no longer leads to (a force push since) is then fetched by itself,
 * which Gitea and Forgejo serve while they still have it. `refHead` is where the ref points now,
 * when it could be resolved. A commit found nowhere is COMMIT_NOT_FOUND: not the recipe's fault.
 */
export async function pinCommit(
  dir: string,
  ref: string,
  sha: string,
  opts: GitOptions = {},
): Promise<{ sha: string; refHead?: string }> {
  const present = async () =>
    (await git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${sha}^{commit}`], dir, opts)).exitCode === 0;
  let refHead: string | undefined;
  try {
    refHead = await resolveRef(dir, ref, opts);
  } catch (err) {
    // A ref that is gone (a deleted branch) does not matter: the commit does.
    if (!(err instanceof CcciError) || err.code !== 'RECIPE_INVALID') throw err;
  }
  if (refHead === sha || (await present())) return { sha, refHead };
  const fetched = await git(['fetch', '--quiet', '--no-tags', 'origin', '--end-of-options', sha], dir, opts);
  if (fetched.cancelled) throw new CcciError('CANCELLED', 'fetching the pinned commit: cancelled');
  if (fetched.timedOut)
    throw new CcciError(
      'DEADLINE',
      `fetching commit ${sha}: git fetch gave no answer within ` +
        `${Math.round((opts.timeoutMs ?? GIT_TIMEOUT_MS) / 1000)} s`,
    );
  if (await present()) return { sha, refHead };
  throw new CcciError(
    'COMMIT_NOT_FOUND',
    `commit ${sha} (the one this run was asked to test) is not in the recipe repository: ` +
      `${ref} is ${refHead ? `at ${refHead} now` : 'not there'}, and the forge no longer serves the commit itself ` +
      '(a force push replaced it). Ask for a new run of the commit to test (comment !testme again).',
  );
}

export async function checkout(dir: string, sha: string, opts: GitOptions = {}): Promise<void> {
  await gitOk(['checkout', '--quiet', '--force', '--detach', sha], dir, opts, `checking out ${sha}`);
  await gitOk(['clean', '-fdxq'], dir, opts, 'cleaning the checkout');
}

/** Release tags (`1.2.0+1.27.2`) that contain a commit, newest version first. */
export async function releaseTags(dir: string, opts: GitOptions = {}): Promise<string[]> {
  const out = await gitOk(['tag', '--list'], dir, opts, 'listing tags');
  return out.split('\n').filter((t) => /^\d+\.\d+\.\d+(\+\S+)?$/.test(t));
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines[lines.length - 1] ?? '';
}
