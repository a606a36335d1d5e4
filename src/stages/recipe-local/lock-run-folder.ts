// The run folder (events.jsonl, run.log, the artifacts, the checkouts; results.json later) is
// cc-ci's record of the run: a recipe's tests must not write any of it, or they could append a
// `run-finished` event or a results.json that says pass. cc-ci writes it as root with its umask,
// which usually keeps others out; this makes sure of it before the tests start, whatever the
// umask was: nothing in the folder stays writable by other users (nor by the tests' group), and
// nothing in or above it belongs to the tests' user or lets it move the folder away.
import { chmodSync, lstatSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FactError } from '../../model/errors.js';

const notIsolated = { source: 'recipe-tests', what: 'not-isolated' } as const;

export function lockRunFolder(dir: string, tests: { uid: number; gid: number }): void {
  for (let up = dirname(dir); ; up = dirname(up)) {
    const st = statSync(up);
    // A folder anyone may write without the sticky bit lets them rename the run folder away.
    if (st.uid === tests.uid || ((st.mode & 0o002) !== 0 && (st.mode & 0o1000) === 0)) {
      throw new FactError(
        notIsolated,
        `${up}, above the run folder, can be changed by the tests' user (mode ${(st.mode & 0o7777).toString(8)}, ` +
          `owner ${st.uid}); the tests did not run: make it owned by cc-ci's user and not writable by others ` +
          `(chmod o-w ${up})`,
      );
    }
    if (up === dirname(up)) break;
  }
  lockTree(dir, tests);
}

function lockTree(path: string, tests: { uid: number; gid: number }): void {
  // The other chains go on meanwhile (git and abra in the upgrade app's folder): what is gone is not a problem.
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (!st) return;
  // A symlink's own mode means nothing, and what it points to (the shared abra servers/) is not the run's.
  if (st.isSymbolicLink()) return;
  if (st.uid === tests.uid) {
    throw new FactError(
      notIsolated,
      `${path} in the run folder belongs to the tests' user (uid ${tests.uid}); the tests did not run: ` +
        "remove it or give it to cc-ci's user",
    );
  }
  const writable = 0o002 | (st.gid === tests.gid ? 0o020 : 0);
  try {
    if ((st.mode & writable) !== 0) chmodSync(path, st.mode & 0o7777 & ~writable);
    if (st.isDirectory()) for (const name of readdirSync(path)) lockTree(join(path, name), tests);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
