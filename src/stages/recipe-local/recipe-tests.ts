// Runs a recipe's own tests (DESIGN §3.5) against a live app: `tests/*.test.{js,mjs,ts}` with
// Node's test runner (TypeScript through tsx), `tests/test_*.py` with pytest, and an executable
// `tests/run`. Tests come from the recipe repository at the tested ref: they get a minimal
// environment (no cc-ci secret, no token, only the CCCI_* contract), a fresh HOME with their own
// copy of the checkout (tests-home.ts), and they run as `nobody` (tests-user.ts), never as root
// nor as cc-ci's user, with the run folder locked against them (lock-run-folder.ts); when that
// cannot be so, they do not run.
import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childEnv } from '../../process/child-env.js';
import { runProcess, type ProcessResult } from '../../process/run-process.js';
import { findPytest } from './find-pytest.js';
import { lockRunFolder } from './lock-run-folder.js';
import { makeTestsHome } from './tests-home.js';
import { testsUser, type Needed } from './tests-user.js';

export type RecipeTestKind = 'node-test' | 'pytest' | 'tests/run';

export interface RecipeTestRun {
  kind: RecipeTestKind;
  result: ProcessResult;
  /** The JUnit XML the run wrote, if it did (not yet masked: the caller masks before storing). */
  junit?: string;
}

export interface RecipeTestOptions {
  recipeDir: string;
  /** The node that runs `tests/*.test.*`: cc-ci's own unless given. */
  node?: string;
  /** The run folder (`<store>/runs/<id>/`): locked against the tests' user before they start. */
  runDir: string;
  env: Record<string, string>;
  /** PEM of swarm.ingressCa: the tests trust it (tests-home.ts). */
  ingressCa?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  onLine?: (line: string) => void;
}

export interface FoundTests {
  /** `tests/*.test.{js,mjs,ts}`, for node --test. */
  files: string[];
  /** `tests/test_*.py`, for pytest. */
  pyFiles: string[];
  /** An executable `tests/run`. */
  runner: boolean;
}

const require = createRequire(import.meta.url);
const resolverHook = fileURLToPath(new URL('./resolve-app-domain.js', import.meta.url));
// The largest JUnit file read back: a test run cannot make cc-ci read without end.
const MAX_JUNIT_BYTES = 16 * 1024 * 1024;

export function findRecipeTests(recipeDir: string): FoundTests {
  const dir = join(recipeDir, 'tests');
  if (!existsSync(dir)) return { files: [], pyFiles: [], runner: false };
  const names = readdirSync(dir).sort();
  const files = names.filter((n) => /\.test\.(js|mjs|ts)$/.test(n)).map((n) => join('tests', n));
  const pyFiles = names.filter((n) => /^test_.*\.py$/.test(n)).map((n) => join('tests', n));
  const run = join(dir, 'run');
  const runner = existsSync(run) && (statSync(run).mode & 0o111) !== 0;
  return { files, pyFiles, runner };
}

export async function runRecipeTests(opts: RecipeTestOptions): Promise<RecipeTestRun[]> {
  const { files, pyFiles, runner } = findRecipeTests(opts.recipeDir);
  const node = opts.node ?? process.execPath;
  const tsx = files.some((f) => f.endsWith('.ts')) ? require.resolve('tsx') : undefined;
  const baseEnv = childEnv({ LANG: 'C.UTF-8', ...opts.env });
  const pytest = pyFiles.length > 0 ? findPytest(baseEnv.PATH) : undefined;
  const user = testsUser(process.getuid?.(), neededBy(files.length > 0 ? node : undefined, tsx, pytest));
  lockRunFolder(opts.runDir, user);
  const runs: RecipeTestRun[] = [];
  const {
    home,
    work,
    nodeHook: hook,
    pythonPath,
    caEnv,
  } = makeTestsHome(opts.recipeDir, resolverHook, user, opts.ingressCa);
  const env = { ...baseEnv, ...caEnv, HOME: home, PYTHONPATH: pythonPath, PYTHONDONTWRITEBYTECODE: '1' };
  /** One runner as the tests' user; its JUnit goes to `junit` in HOME (the runner is told where). */
  const run = async (kind: RecipeTestKind, file: string, args: string[], junit: string, extra = {}) => {
    const result = await runProcess(file, args, {
      cwd: work,
      env: { ...env, ...extra },
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
      onLine: opts.onLine,
      ...user,
    });
    runs.push({ kind, result, junit: readTestsFile(junit, user.uid) });
  };
  try {
    if (files.length > 0) {
      const junit = join(home, 'recipe-tests-node.xml');
      const ts = tsx ? ['--import', tsx] : [];
      const reporters = ['--test-reporter=tap', '--test-reporter-destination=stdout', '--test-reporter=junit'];
      const args = [...ts, '--import', hook, '--test', ...reporters, `--test-reporter-destination=${junit}`];
      await run('node-test', node, [...args, ...files], junit);
    }
    if (pytest && !opts.signal?.aborted) {
      const junit = join(home, 'recipe-tests-pytest.xml');
      // No cache folder: nothing of a run is kept for the next.
      await run('pytest', pytest, ['-p', 'no:cacheprovider', `--junitxml=${junit}`, ...pyFiles], junit);
    }
    if (runner && !opts.signal?.aborted) {
      const junit = join(home, 'recipe-tests-run.xml');
      const extra = { CCCI_JUNIT_FILE: junit, NODE_OPTIONS: `--import=${hook}` };
      await run('tests/run', join(work, 'tests', 'run'), [], junit, extra);
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
  return runs;
}

/** What the tests' user must reach outside its HOME, and how an operator makes it reachable. */
function neededBy(node: string | undefined, tsx: string | undefined, pytest: string | undefined): Needed[] {
  // Their HOME (with the copy of the checkout) is made in the temporary folder.
  const needs: Needed[] = [{ path: tmpdir(), what: 'the temporary folder', fix: 'set TMPDIR to /tmp' }];
  const nodeFix =
    'install Node.js where every user can run it (nodejs.org binaries under /usr/local, or ' +
    "NodeSource's nodejs package), not in root's home (nvm)";
  if (node) needs.push({ path: node, what: "cc-ci's node", run: true, fix: nodeFix });
  if (tsx) needs.push({ path: tsx, what: 'tsx', fix: 'install cc-ci in a folder every user can read' });
  if (pytest) needs.push({ path: pytest, what: 'pytest', run: true, fix: 'install python3-pytest from Debian' });
  return needs;
}

/**
 * A file the tests wrote into their HOME, read as root: only a regular file of the tests' own
 * (never a symlink or a FIFO they put there to make cc-ci read or hang on something else), and
 * only so much of it.
 */
function readTestsFile(file: string, uid: number): string | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.uid !== uid || st.size > MAX_JUNIT_BYTES) return undefined;
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}
