// Validation of everything that comes from outside (a maintainer, a comment, a webhook) before it
// reaches git, abra or docker. Refused input never starts anything.
import { CcciError } from '../model/errors.js';
import { stageNames, type StageName } from '../model/stage.js';

// Recipe names as Co-op Cloud uses them: lower-case words joined by hyphens (custom-html, lasuite-docs).
const recipePattern = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

export function validateRecipeName(name: string): string {
  if (!recipePattern.test(name)) {
    throw new CcciError(
      'INPUT_INVALID',
      `invalid recipe name ${JSON.stringify(name)}: ` +
        'use lower-case letters, digits and inner hyphens (like custom-html), at most 64 characters',
    );
  }
  return name;
}

/**
 * A git ref (branch, tag, full ref or commit sha) safe to hand to git as an argument.
 * Stricter than `git check-ref-format`: it also refuses a leading `-` (option injection such as
 * `--upload-pack=…`) and anything outside a conservative character set.
 */
export function validateRef(ref: string): string {
  const problem = refProblem(ref);
  if (problem) throw new CcciError('INPUT_INVALID', `invalid ref ${JSON.stringify(ref)}: ${problem}`);
  return ref;
}

function refProblem(ref: string): string | undefined {
  if (ref.length === 0) return 'it is empty';
  if (ref.length > 200) return 'it is longer than 200 characters';
  if (ref.startsWith('-')) return 'it starts with "-"';
  if (!/^[A-Za-z0-9._+/-]+$/.test(ref)) return 'only letters, digits and . _ + / - are allowed';
  if (ref.includes('..')) return 'it contains ".."';
  if (ref.includes('//') || ref.startsWith('/') || ref.endsWith('/')) return 'it has an empty path component';
  if (ref.endsWith('.lock') || ref.endsWith('.')) return 'it ends with ".lock" or "."';
  if (ref.split('/').some((part) => part.startsWith('.'))) return 'a path component starts with "."';
  return undefined;
}

/** A full commit sha (40 hex digits, or 64 in a SHA-256 repository), in lower case. */
export function validateSha(sha: string): string {
  if (!/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i.test(sha)) {
    throw new CcciError(
      'INPUT_INVALID',
      `invalid commit ${JSON.stringify(sha)}: give the full sha (40 hexadecimal digits, or 64)`,
    );
  }
  return sha.toLowerCase();
}

/**
 * A repository URL git may clone: https, http, ssh-style, file, or an absolute path. Never `ext::`
 * or options, and never credentials: a URL with a user (http, https) or a password (ssh) in it is
 * refused without being repeated, since whatever names a run is shown on public pages.
 */
export function validateRepoUrl(url: string): string {
  refuseCredentials(url);
  const ok =
    /^(https?:\/\/|file:\/\/\/|ssh:\/\/|git@[A-Za-z0-9.-]+:|\/)/.test(url) &&
    !/[\s\0]/.test(url) &&
    !url.includes('::') &&
    url.length <= 500;
  if (!ok) {
    throw new CcciError(
      'INPUT_INVALID',
      `invalid repository URL ${JSON.stringify(url)}: ` +
        'use an https://, http://, ssh://, file:/// URL or an absolute path',
    );
  }
  return url;
}

/**
 * Refuses a repository URL with credentials in it, without repeating them. `cc-ci run` asks this
 * before it makes the run's folder, so they are not even written to its events or results.
 */
export function refuseCredentials(url: string): void {
  if (!hasCredentials(url)) return;
  throw new CcciError(
    'INPUT_INVALID',
    `invalid repository URL ${JSON.stringify(withoutUserinfo(url))}: it carries credentials (user:password@), ` +
      'and a run shows its repository on public pages. Name the repository without them and let git ' +
      'find them: a credential helper of the user cc-ci runs as (git config --global credential.helper store, ' +
      "see git help credentials), or an ssh:// URL with that user's key",
  );
}

// The authority of a scheme URL: everything up to the first /, ?, # or \ after `scheme://`.
const AUTHORITY = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/?#\\]*)/;

/** http(s) with any userinfo, or any scheme with a password (ssh://git@host is a plain user). */
function hasCredentials(url: string): boolean {
  const m = AUTHORITY.exec(url);
  if (!m) return false;
  const [, scheme = '', authority = ''] = m;
  const at = authority.lastIndexOf('@');
  if (at < 0) return false;
  return /^https?:\/\/$/i.test(scheme) || authority.slice(0, at).includes(':');
}

function withoutUserinfo(url: string): string {
  return url.replace(AUTHORITY, (_all, scheme: string, authority: string) => {
    return scheme + '***@' + authority.slice(authority.lastIndexOf('@') + 1);
  });
}

/**
 * Whether `url` names a repository on one of `origins`: an origin as URL.origin spells it, or a
 * file:/// folder ending in a slash. The URL must begin with it (and a slash) character for
 * character, so git and this check cannot read a different host out of it, and may not climb
 * out of the folder (`..`, or any %-escape, which could hide one).
 */
export function isOnOrigin(url: string, origins: readonly string[]): boolean {
  if (/(^|\/)\.\.(\/|$)/.test(url) || (url.startsWith('file:') && url.includes('%'))) return false;
  return origins.some((origin) => url.startsWith(origin.endsWith('/') ? origin : origin + '/'));
}

// Run ids become folder and file names: no dots, no slashes, no leading dash.
const runIdPattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$/;

/** A run id minted by a caller (`--run-id`), e.g. `20261130T132202Z-1a2b`. */
export function validateRunId(id: string): string {
  if (!runIdPattern.test(id)) {
    throw new CcciError(
      'INPUT_INVALID',
      `invalid run id ${JSON.stringify(id)}: ` +
        'use letters, digits, "_" and "-", starting with a letter or digit, at most 80 characters',
    );
  }
  return id;
}

export function parseStages(list: string): StageName[] {
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (names.length === 0)
    throw new CcciError('INPUT_INVALID', 'no stage given: use a comma-separated list of ' + stageNames.join(', '));
  for (const name of names) {
    if (!(stageNames as readonly string[]).includes(name)) {
      throw new CcciError(
        'INPUT_INVALID',
        `unknown stage ${JSON.stringify(name)}: the stages are ${stageNames.join(', ')}`,
      );
    }
  }
  return [...new Set(names)] as StageName[];
}
