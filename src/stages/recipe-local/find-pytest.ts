// Finds the pytest that runs a recipe's `tests/test_*.py` (DESIGN §3.5): Debian's python3-pytest
// (`pytest-3`, or `pytest`) on PATH, one the tests' user can run. A pytest only root can reach
// (pyenv's shims under /root) is passed over; none at all is `runner-missing`, an `error` whose
// message has the apt line: a missing pytest says nothing about the recipe.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FactError } from '../../model/errors.js';
import { blockedFor, TESTS_USER } from './tests-user.js';

/** What a host needs for pytest suites (docs/install.md; testbed/up installs the same). */
export const PYTEST_PACKAGES = 'apt-get install python3-pytest python3-requests python3-httpx';

export function findPytest(path: string): string {
  const unusable: string[] = [];
  for (const dir of path.split(':').filter(Boolean)) {
    for (const name of ['pytest-3', 'pytest']) {
      const file = join(dir, name);
      if (!existsSync(file)) continue;
      const why = blockedFor(file, true);
      if (!why) return file;
      unusable.push(`${file} (${why})`);
    }
  }
  const seen = unusable.length > 0 ? ` (found only ${unusable.join('; ')})` : '';
  throw new FactError(
    { source: 'recipe-tests', what: 'runner-missing' },
    `the recipe ships tests/test_*.py, but PATH has no pytest ${TESTS_USER.name} can run${seen}; ` +
      `the tests did not run: ${PYTEST_PACKAGES}`,
  );
}
