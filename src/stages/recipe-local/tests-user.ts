// Who runs a recipe's tests (DESIGN §3.5: an unprivileged user), and whether it can. The tests
// come from the pull request, so they never run as root nor as cc-ci's own user (who could write
// the run folder and forge a pass): cc-ci must be root to drop them to nobody, and nobody must be
// able to reach everything they need. When either is not so, the tests do not run at all
// (`not-isolated`, an `error` judged in src/model/blame.ts) and the message says what to fix.
import { realpathSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { FactError } from '../../model/errors.js';

/** Debian's nobody/nogroup. */
export const TESTS_USER = { name: 'nobody', uid: 65534, gid: 65534 } as const;

/** A path the tests need: to read (a checkout, a module) or to run (a program). */
export interface Needed {
  path: string;
  /** What it is, for the message: "cc-ci's node", "the recipe checkout". */
  what: string;
  run?: boolean;
  /** How to make it reachable. */
  fix: string;
}

const notIsolated = { source: 'recipe-tests', what: 'not-isolated' } as const;

/** The user the tests run as; throws `not-isolated` when they cannot be run as it. */
export function testsUser(ownUid: number | undefined, needs: readonly Needed[]): { uid: number; gid: number } {
  if (ownUid !== 0) {
    throw new FactError(
      notIsolated,
      `cc-ci runs as uid ${ownUid ?? 'unknown'}, not root, so it cannot run the recipe's tests as ` +
        `${TESTS_USER.name}; as cc-ci's own user they could write the run folder and forge its results. ` +
        'The tests did not run: run cc-ci as root (docs/install.md), which drops them to nobody',
    );
  }
  for (const need of needs) {
    const why = blockedFor(need.path, need.run === true);
    if (why) {
      throw new FactError(
        notIsolated,
        `${TESTS_USER.name} cannot ${need.run ? 'run' : 'read'} ${need.what} (${need.path}): ${why}. ` +
          `The tests did not run (never as root): ${need.fix}`,
      );
    }
  }
  return { uid: TESTS_USER.uid, gid: TESTS_USER.gid };
}

/**
 * Why a user other than the owner cannot reach `path`, or undefined when it can: the path readable
 * (and runnable, for a program; searchable, for a folder), and every folder above it searchable,
 * both along the path as written and along the path its symlinks lead to.
 */
export function blockedFor(path: string, run: boolean): string | undefined {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return `${path} does not exist`;
  }
  const st = statSync(real);
  const need = run || st.isDirectory() ? 0o005 : 0o004;
  if ((st.mode & need) !== need) {
    const as = need === 0o005 ? (st.isDirectory() ? 'readable and searchable' : 'readable and runnable') : 'readable';
    return `${real} is mode ${mode(st.mode)}, not ${as} by other users`;
  }
  for (const start of new Set([path, real])) {
    for (let dir = dirname(start); ; dir = dirname(dir)) {
      const m = statSync(dir).mode;
      if ((m & 0o001) === 0) return `${dir} is mode ${mode(m)}, not searchable by other users`;
      if (dir === dirname(dir)) break;
    }
  }
  return undefined;
}

const mode = (m: number) => (m & 0o7777).toString(8);
