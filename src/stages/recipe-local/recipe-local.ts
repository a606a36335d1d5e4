// The recipe-local stage (DESIGN §3.5, §4.7): the recipe's own tests from its repository at the
// tested ref, and the custom checks of its spec folder, against the live install app.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CcciError } from '../../model/errors.js';
import { findRecipeTests, runRecipeTests, type RecipeTestKind, type RecipeTestRun } from './recipe-tests.js';
import { finishStage, rowFromError, rowFromFact } from '../../model/blame.js';
import { skipReasons, type CheckRow, type StageResult } from '../../model/stage.js';
import type { AppHandle, StageContext } from '../stage-context.js';
import { appBaseUrl, ingressOf } from '../checks/ingress-request.js';
import { runCustomChecks } from './custom-checks.js';
import { rowsFromJunit, rowsFromTap } from './parse-test-output.js';

export const RECIPE_TESTS_TIMEOUT_MS = 15 * 60_000;

/** How each runner's rows are named (its cases prefixed, its own row for the exit code) and where its JUnit is kept. */
const shown: Record<RecipeTestKind, { prefix: string; row: string; artifact: string }> = {
  'node-test': { prefix: '', row: 'node --test tests/', artifact: 'recipe-tests-node.xml' },
  pytest: { prefix: 'pytest: ', row: 'pytest tests/', artifact: 'recipe-tests-pytest.xml' },
  'tests/run': { prefix: 'tests/run: ', row: 'tests/run', artifact: 'recipe-tests-run.xml' },
};

export async function runRecipeLocal(ctx: StageContext, app: AppHandle): Promise<StageResult> {
  const started = Date.now();
  const found = findRecipeTests(app.recipeDir);
  const hasTests = found.files.length > 0 || found.pyFiles.length > 0 || found.runner;
  if (!hasTests && ctx.customChecks.length === 0) {
    return {
      name: 'recipe-local',
      status: 'skip',
      reason: skipReasons.nothingToRun(
        'the recipe has no tests/ (no *.test.{js,mjs,ts}, no test_*.py, no executable tests/run) ' +
          'and its spec folder no *.check.ts',
      ),
      checks: [],
    };
  }
  const rows: CheckRow[] = [];
  const domain = app.name.domain;
  try {
    if (hasTests) rows.push(...(await recipeTestRows(ctx, app)));
    rows.push(
      ...(await runCustomChecks(ctx.customChecks, {
        recipe: ctx.recipe,
        domain,
        ingress: ingressOf(ctx.config.swarm),
        exec: (service, cmd) => ctx.docker.execInService(app.name.stack, service, cmd, { signal: ctx.signal }),
        signal: ctx.signal,
      })),
    );
    return finishStage('recipe-local', started, rows, undefined, ctx.signal);
  } catch (err) {
    return finishStage('recipe-local', started, rows, err, ctx.signal);
  }
}

/** The recipe's own tests as rows: each case, then one row per runner for its exit code. */
async function recipeTestRows(ctx: StageContext, app: AppHandle): Promise<CheckRow[]> {
  const target = new URL(ctx.config.swarm.ingress);
  const domain = app.name.domain;
  const started = Date.now();
  let runs: RecipeTestRun[];
  try {
    runs = await runRecipeTests({
      recipeDir: app.recipeDir,
      runDir: dirname(ctx.artifactsDir),
      timeoutMs: RECIPE_TESTS_TIMEOUT_MS,
      ...(ctx.config.swarm.ingressCaPem !== undefined ? { ingressCa: ctx.config.swarm.ingressCaPem } : {}),
      signal: ctx.signal,
      onLine: (line) => ctx.log.info({ src: 'recipe-tests' }, line),
      env: {
        CCCI_BASE_URL: appBaseUrl(ingressOf(ctx.config.swarm), domain),
        CCCI_APP_DOMAIN: domain,
        CCCI_RECIPE: ctx.recipe,
        CCCI_VERSION: app.deployed?.version ?? ctx.headVersion ?? ctx.ref,
        CCCI_STAGE: 'recipe-local',
        CCCI_INGRESS: `${target.hostname}:${target.port || (target.protocol === 'https:' ? '443' : '80')}`,
        CCCI_RESOLVE: JSON.stringify({ [domain]: target.hostname }),
      },
    });
  } catch (err) {
    // Tests that could not be run safely are a row of their own; the custom checks still run.
    return [rowFromError('recipe tests', err, ctx.signal, started)];
  }
  const rows: CheckRow[] = [];
  for (const run of runs) {
    if (run.result.cancelled) throw new CcciError('CANCELLED', `${run.kind}: stopped`);
    const { prefix, artifact, row: name } = shown[run.kind];
    const parsed = (await rowsFromJunit(run.junit, prefix)) ?? rowsFromTap(run.result.stdout, prefix);
    // Stored like every artifact: through the secret registry.
    if (run.junit) writeFileSync(join(ctx.artifactsDir, artifact), ctx.secrets.redact(run.junit));
    rows.push(...parsed);
    // The exit code is the verdict; a failing run with no failing row still fails.
    const detail = run.result.timedOut
      ? `timed out after ${RECIPE_TESTS_TIMEOUT_MS / 60_000} min`
      : `exit ${run.result.exitCode}, ${parsed.length} test rows`;
    rows.push(
      run.result.exitCode === 0
        ? { name, status: 'pass', detail }
        : rowFromFact(name, { source: 'recipe-tests', what: 'exited' }, { detail }),
    );
  }
  return rows;
}
