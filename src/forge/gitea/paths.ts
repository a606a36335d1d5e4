// API paths from cc-ci's inputs: each part is checked and encoded, so a repository, user or
// number can never reach another route (no `..`, no `/` inside a segment, no query).
import { CcciError } from '../../model/errors.js';

const NAME_RE = /^[A-Za-z0-9_.-]+$/;

export interface RepoParts {
  owner: string;
  name: string;
}

export function repoParts(repo: string): RepoParts {
  const [owner = '', name = '', ...rest] = repo.split('/');
  if (rest.length > 0 || !isName(owner) || !isName(name)) {
    throw new CcciError('INPUT_INVALID', `not a repository name (owner/name): ${JSON.stringify(repo)}`);
  }
  return { owner, name };
}

/** `/repos/{owner}/{name}` followed by the given parts. */
export function repoPath(repo: string, ...parts: (string | number)[]): string {
  const { owner, name } = repoParts(repo);
  return ['/repos', seg(owner), seg(name), ...parts.map((p) => seg(String(p)))].join('/');
}

export function userName(kind: 'user' | 'org', value: string): string {
  if (!isName(value)) throw new CcciError('INPUT_INVALID', `not a ${kind} name: ${JSON.stringify(value)}`);
  return seg(value);
}

export function positiveInt(kind: string, n: number): number {
  if (!Number.isSafeInteger(n) || n < 1) throw new CcciError('INPUT_INVALID', `not a ${kind}: ${JSON.stringify(n)}`);
  return n;
}

export function commitSha(sha: string): string {
  if (!/^[0-9a-f]{7,64}$/i.test(sha)) throw new CcciError('INPUT_INVALID', `not a commit sha: ${JSON.stringify(sha)}`);
  return sha.toLowerCase();
}

function isName(s: string): boolean {
  return NAME_RE.test(s) && s !== '.' && s !== '..';
}

const seg = (s: string) => encodeURIComponent(s);
