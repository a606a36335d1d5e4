// Runs a recipe's own tests (DESIGN §3.5) against a live app: `tests/*.test.{js,mjs,ts}` with
// Node's test runner (TypeScript through tsx) and an executable `tests/run`. Tests come from the
// recipe repository at the tested ref, so they get a minimal environment: no cc-ci secret, no
// token, only the CCCI_* contract.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProcess, type ProcessResult } from './run-process.js';

export interface RecipeTestRun {
  kind: 'node-test' | 'tests/run';
  result: ProcessResult;
  /** Where the run wrote JUnit XML, if it did. */
  junitFile: string;
}

export interface RecipeTestOptions {
  recipeDir: string;
  env: Record<string, string>;
  artifactsDir: string;
  timeoutMs: number;
  signal?: AbortSignal;
  onLine?: (line: string) => void;
}

const require = createRequire(import.meta.url);
const resolverHook = fileURLToPath(new URL('../stages/recipe-local/resolve-app-domain.js', import.meta.url));

export function findRecipeTests(recipeDir: string): { files: string[]; runner: boolean } {
  const dir = join(recipeDir, 'tests');
  if (!existsSync(dir)) return { files: [], runner: false };
  const files = readdirSync(dir).filter((n) => /\.test\.(js|mjs|ts)$/.test(n)).sort().map((n) => join('tests', n));
  const run = join(dir, 'run');
  const runner = existsSync(run) && (statSync(run).mode & 0o111) !== 0;
  return { files, runner };
}

export async function runRecipeTests(opts: RecipeTestOptions): Promise<RecipeTestRun[]> {
  const { files, runner } = findRecipeTests(opts.recipeDir);
  const runs: RecipeTestRun[] = [];
  const baseEnv = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: opts.artifactsDir,
    LANG: 'C.UTF-8',
    ...opts.env,
  };
  if (files.length > 0) {
    const junitFile = join(opts.artifactsDir, 'recipe-tests-node.xml');
    const tsx = require.resolve('tsx');
    const result = await runProcess(process.execPath, [
      '--import', tsx, '--import', resolverHook, '--test',
      '--test-reporter=tap', '--test-reporter-destination=stdout',
      '--test-reporter=junit', `--test-reporter-destination=${junitFile}`,
      ...files,
    ], { cwd: opts.recipeDir, env: baseEnv, timeoutMs: opts.timeoutMs, signal: opts.signal, onLine: opts.onLine });
    runs.push({ kind: 'node-test', result, junitFile });
  }
  if (runner) {
    const junitFile = join(opts.artifactsDir, 'recipe-tests-run.xml');
    const result = await runProcess(join(opts.recipeDir, 'tests', 'run'), [], {
      cwd: opts.recipeDir,
      env: { ...baseEnv, CCCI_JUNIT_FILE: junitFile, NODE_OPTIONS: `--import=${resolverHook}` },
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
      onLine: opts.onLine,
    });
    runs.push({ kind: 'tests/run', result, junitFile });
  }
  return runs;
}
