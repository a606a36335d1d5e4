// The tests' own folder: a fresh HOME in the system's temporary folder, owned by the tests' user,
// holding a copy of the recipe checkout (without .git) that the tests run in, and the resolver
// hooks. The tests never need to reach cc-ci's store (which may stay closed to other users), and
// what they write lands in their copy, which is removed with the HOME.
import { chownSync, copyFileSync, cpSync, lchownSync, lstatSync, mkdirSync, mkdtempSync } from 'node:fs';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PYTHON_RESOLVER } from './python-resolver.js';

export interface TestsHome {
  home: string;
  /** The copy of the recipe checkout: the tests' working folder. */
  work: string;
  /** Node's resolver hook (`--import`). */
  nodeHook: string;
  /** The folder with Python's resolver (`sitecustomize.py`), for PYTHONPATH. */
  pythonPath: string;
}

export function makeTestsHome(
  recipeDir: string,
  nodeHookSource: string,
  user: { uid: number; gid: number },
): TestsHome {
  const home = mkdtempSync(join(tmpdir(), 'cc-ci-recipe-tests-'));
  try {
    return fill(home, recipeDir, nodeHookSource, user);
  } catch (err) {
    rmSync(home, { recursive: true, force: true });
    throw err;
  }
}

function fill(home: string, recipeDir: string, nodeHookSource: string, user: { uid: number; gid: number }): TestsHome {
  const work = join(home, 'recipe');
  // Symlinks are copied as they are, never followed: root must not copy out what they point to.
  cpSync(recipeDir, work, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (src) => src !== join(recipeDir, '.git'),
  });
  // Copied as .mjs, so it loads as ESM anywhere.
  const nodeHook = join(home, 'ccci-resolve-app-domain.mjs');
  copyFileSync(nodeHookSource, nodeHook);
  const pythonPath = join(home, 'ccci-python');
  mkdirSync(pythonPath);
  writeFileSync(join(pythonPath, 'sitecustomize.py'), PYTHON_RESOLVER);
  giveTree(home, user);
  return { home, work, nodeHook, pythonPath };
}

function giveTree(path: string, user: { uid: number; gid: number }): void {
  if (lstatSync(path).isSymbolicLink()) {
    lchownSync(path, user.uid, user.gid);
    return;
  }
  chownSync(path, user.uid, user.gid);
  if (lstatSync(path).isDirectory()) for (const name of readdirSync(path)) giveTree(join(path, name), user);
}
