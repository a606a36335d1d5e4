// Git plumbing on the stand-in's bare repositories, with argument arrays and no user or system
// git config (signing, hooks, default branch of the caller's machine stay out).
import { execa } from 'execa';

export const GIT_ENV = {
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0',
  GIT_AUTHOR_NAME: 'forge-standin',
  GIT_AUTHOR_EMAIL: 'forge-standin@forge.test',
  GIT_COMMITTER_NAME: 'forge-standin',
  GIT_COMMITTER_EMAIL: 'forge-standin@forge.test',
};

export async function git(gitDir: string, args: string[]): Promise<string> {
  const r = await execa('git', ['--git-dir', gitDir, ...args], { env: GIT_ENV, stripFinalNewline: true });
  return r.stdout;
}

/** A blob's bytes as they are (no newline stripped, no text decoding). */
export async function readBlob(gitDir: string, sha: string): Promise<Buffer> {
  const r = await execa('git', ['--git-dir', gitDir, 'cat-file', 'blob', sha], { env: GIT_ENV, encoding: 'buffer' });
  return Buffer.from(r.stdout);
}

/** Clone a local bare repository (branches and tags, no other refs) to a new bare one. */
export async function cloneBare(source: string, target: string): Promise<void> {
  await execa('git', ['clone', '--quiet', '--bare', '--no-local', source, target], { env: GIT_ENV });
}

/** Every ref → the commit it points at (tags peeled). */
export async function listRefs(gitDir: string): Promise<Map<string, string>> {
  const out = await git(gitDir, ['for-each-ref', '--format=%(refname) %(objectname) %(*objectname)']);
  const refs = new Map<string, string>();
  for (const line of out.split('\n')) {
    const [name, sha, peeled] = line.split(' ');
    if (name && sha) refs.set(name, peeled || sha);
  }
  return refs;
}

/** The full commit sha a revision names, or undefined. */
export async function resolveCommit(gitDir: string, rev: string): Promise<string | undefined> {
  if (rev.startsWith('-')) return undefined;
  try {
    return await git(gitDir, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
  } catch {
    return undefined;
  }
}

export async function updateRef(gitDir: string, ref: string, sha: string): Promise<void> {
  await updateRefs(gitDir, [[ref, sha]]);
}

/** Set several refs in one `git update-ref --stdin` transaction. */
export async function updateRefs(gitDir: string, updates: [ref: string, sha: string][]): Promise<void> {
  if (updates.length === 0) return;
  const input = updates.map(([ref, sha]) => `update ${ref} ${sha}\n`).join('');
  await execa('git', ['--git-dir', gitDir, 'update-ref', '--stdin'], { env: GIT_ENV, input });
}

const baseCache = new Map<string, string>();

/** The merge base of two commits ("" when they have none); commits never change, so cached. */
export async function mergeBase(gitDir: string, a: string, b: string): Promise<string> {
  const key = `${gitDir}\0${a}\0${b}`;
  let base = baseCache.get(key);
  if (base === undefined) {
    base = await git(gitDir, ['merge-base', a, b]).catch(() => '');
    baseCache.set(key, base);
  }
  return base;
}

export interface DiffStat {
  changedFiles: number;
  additions: number;
  deletions: number;
}

const statCache = new Map<string, DiffStat>();

/** `git diff --numstat from to`, summed (binary files count as changed with no lines). */
export async function diffStat(gitDir: string, from: string, to: string): Promise<DiffStat> {
  const key = `${gitDir}\0${from}\0${to}`;
  const cached = statCache.get(key);
  if (cached) return cached;
  const stat: DiffStat = { changedFiles: 0, additions: 0, deletions: 0 };
  if (from && to) {
    const out = await git(gitDir, ['diff', '--numstat', from, to]);
    for (const line of out.split('\n')) {
      const [add, del] = line.split('\t');
      if (add === undefined || del === undefined) continue;
      stat.changedFiles++;
      stat.additions += Number(add) || 0;
      stat.deletions += Number(del) || 0;
    }
  }
  statCache.set(key, stat);
  return stat;
}
