// Runs a recipe's own tests (DESIGN §3.5) against a live app: `tests/*.test.{js,mjs,ts}` with
// Node's test runner (TypeScript through tsx) and an executable `tests/run`. Tests come from the
// recipe repository at the tested ref: they get a minimal environment (no cc-ci secret, no token,
// only the CCCI_* contract), a fresh HOME, and when cc-ci runs as root they run as `nobody`, so
// they can read neither cc-ci's secret files nor the Docker socket.
import { chownSync, copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childEnv } from '../../process/child-env.js';
import { runProcess, type ProcessResult } from '../../process/run-process.js';

export interface RecipeTestRun {
  kind: 'node-test' | 'tests/run';
  result: ProcessResult;
  /** The JUnit XML the run wrote, if it did (not yet masked: the caller masks before storing). */
  junit?: string;
}

// The unprivileged user recipe code runs as when cc-ci is root (Debian's nobody/nogroup).
const NOBODY = 65534;

export interface RecipeTestOptions {
  recipeDir: string;
  env: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
  onLine?: (line: string) => void;
  onWarning?: (line: string) => void;
}

const require = createRequire(import.meta.url);
const resolverHook = fileURLToPath(new URL('./resolve-app-domain.js', import.meta.url));

export function findRecipeTests(recipeDir: string): { files: string[]; runner: boolean } {
  const dir = join(recipeDir, 'tests');
  if (!existsSync(dir)) return { files: [], runner: false };
  const files = readdirSync(dir)
    .filter((n) => /\.test\.(js|mjs|ts)$/.test(n))
    .sort()
    .map((n) => join('tests', n));
  const run = join(dir, 'run');
  const runner = existsSync(run) && (statSync(run).mode & 0o111) !== 0;
  return { files, runner };
}

export async function runRecipeTests(opts: RecipeTestOptions): Promise<RecipeTestRun[]> {
  const { files, runner } = findRecipeTests(opts.recipeDir);
  const runs: RecipeTestRun[] = [];
  const home = mkdtempSync(join(tmpdir(), 'cc-ci-recipe-tests-'));
  // The hook is copied next to the tests (as .mjs, so it loads as ESM anywhere); tsx is loaded
  // only when there are TypeScript tests.
  const hook = join(home, 'ccci-resolve-app-domain.mjs');
  copyFileSync(resolverHook, hook);
  const tsx = files.some((f) => f.endsWith('.ts')) ? require.resolve('tsx') : undefined;
  const blocked = [process.execPath, opts.recipeDir, ...(tsx ? [tsx] : [])].find((p) => !reachableByOthers(p));
  const asRoot = process.getuid?.() === 0;
  const dropRoot = asRoot && !blocked;
  if (asRoot && blocked) {
    opts.onWarning?.(
      `recipe tests run as root, not as nobody: ${blocked} is not readable by other users ` +
        '(install cc-ci and its store in world-readable folders)',
    );
  }
  if (dropRoot) chownSync(home, NOBODY, NOBODY);
  const user = dropRoot ? { uid: NOBODY, gid: NOBODY } : {};
  const baseEnv = childEnv({ HOME: home, LANG: 'C.UTF-8', ...opts.env });
  try {
    if (files.length > 0) {
      const junitFile = join(home, 'recipe-tests-node.xml');
      const result = await runProcess(
        process.execPath,
        [
          ...(tsx ? ['--import', tsx] : []),
          '--import',
          hook,
          '--test',
          '--test-reporter=tap',
          '--test-reporter-destination=stdout',
          '--test-reporter=junit',
          `--test-reporter-destination=${junitFile}`,
          ...files,
        ],
        {
          cwd: opts.recipeDir,
          env: baseEnv,
          timeoutMs: opts.timeoutMs,
          signal: opts.signal,
          onLine: opts.onLine,
          ...user,
        },
      );
      runs.push({ kind: 'node-test', result, junit: readIfThere(junitFile) });
    }
    if (runner) {
      const junitFile = join(home, 'recipe-tests-run.xml');
      const result = await runProcess(join(opts.recipeDir, 'tests', 'run'), [], {
        cwd: opts.recipeDir,
        env: { ...baseEnv, CCCI_JUNIT_FILE: junitFile, NODE_OPTIONS: `--import=${hook}` },
        timeoutMs: opts.timeoutMs,
        signal: opts.signal,
        onLine: opts.onLine,
        ...user,
      });
      runs.push({ kind: 'tests/run', result, junit: readIfThere(junitFile) });
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
  return runs;
}

/** Whether a user other than the owner can reach the path: every folder above searchable, the path readable. */
function reachableByOthers(path: string): boolean {
  try {
    const st = statSync(path);
    if ((st.mode & 0o004) === 0 || (st.isDirectory() && (st.mode & 0o001) === 0)) return false;
    for (let dir = dirname(path); ; dir = dirname(dir)) {
      if ((statSync(dir).mode & 0o001) === 0) return false;
      if (dir === dirname(dir)) return true;
    }
  } catch {
    return false;
  }
}

function readIfThere(file: string): string | undefined {
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}
