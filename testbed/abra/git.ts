// The recipe checkout: tags, cleanliness, HEAD, checkout (A.6, A.8.3).
import { git } from './exec.js';
import { fail } from './log.js';

export async function tags(dir: string): Promise<string[]> {
  const res = await git(dir, ['tag', '--list']);
  return res.stdout
    .split('\n')
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
}

/** Unstaged, staged or untracked changes (an untracked overlay file counts, A.8.3). */
export async function isDirty(dir: string): Promise<boolean> {
  const res = await git(dir, ['status', '--porcelain', '--untracked-files=all']);
  return res.stdout.trim().length > 0;
}

export async function headSha(dir: string): Promise<string> {
  return (await git(dir, ['rev-parse', 'HEAD'])).stdout.trim();
}

/** The chaos version: SmallSHA(HEAD) (8 hex) plus `+U` when the tree is dirty (A.8.3). */
export async function chaosVersion(dir: string): Promise<string> {
  const sha = (await headSha(dir)).slice(0, 8);
  return (await isDirty(dir)) ? `${sha}+U` : sha;
}

/** Refuse a dirty tree, then check the release tag out (detached). */
export async function ensureCleanCheckout(dir: string, recipe: string, tag: string): Promise<void> {
  if (await isDirty(dir)) fail(`${recipe} has locally unstaged changes`);
  const known = await tags(dir);
  if (!known.includes(tag)) fail(`${tag} is not a published version of ${recipe}`);
  await git(dir, ['checkout', '--quiet', tag]);
}
