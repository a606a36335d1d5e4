// The recipe-local stage (DESIGN §3.5, §4.7): the recipe's own tests from its repository at the
// tested ref, and the custom checks of its spec folder, against the live install app.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CcciError } from '../../model/errors.js';
import { findRecipeTests, runRecipeTests } from './recipe-tests.js';
import { finishStage, rowFromFact } from '../../model/blame.js';
import { skipReasons, type CheckRow, type StageResult } from '../../model/stage.js';
import type { AppHandle, StageContext } from '../stage-context.js';
import { appBaseUrl } from '../checks/ingress-request.js';
import { runCustomChecks } from './custom-checks.js';
import { rowsFromJunit, rowsFromTap } from './parse-test-output.js';

export const RECIPE_TESTS_TIMEOUT_MS = 15 * 60_000;

export async function runRecipeLocal(ctx: StageContext, app: AppHandle): Promise<StageResult> {
  const started = Date.now();
  const found = findRecipeTests(app.recipeDir);
  if (found.files.length === 0 && !found.runner && ctx.customChecks.length === 0) {
    return {
      name: 'recipe-local',
      status: 'skip',
      reason: skipReasons.nothingToRun(
        'the recipe has no tests/ (no *.test.{js,mjs,ts}, no executable tests/run) and its spec folder no *.check.ts',
      ),
      checks: [],
    };
  }
  const rows: CheckRow[] = [];
  const target = new URL(ctx.config.swarm.ingress);
  const domain = app.name.domain;
  try {
    const runs = await runRecipeTests({
      recipeDir: app.recipeDir,
      timeoutMs: RECIPE_TESTS_TIMEOUT_MS,
      signal: ctx.signal,
      onLine: (line) => ctx.log.info({ src: 'recipe-tests' }, line),
      onWarning: (line) => ctx.log.warn(line),
      env: {
        CCCI_BASE_URL: appBaseUrl(ctx.config.swarm.ingress, domain),
        CCCI_APP_DOMAIN: domain,
        CCCI_RECIPE: ctx.recipe,
        CCCI_VERSION: app.deployed?.version ?? ctx.headVersion ?? ctx.ref,
        CCCI_STAGE: 'recipe-local',
        CCCI_INGRESS: `${target.hostname}:${target.port || (target.protocol === 'https:' ? '443' : '80')}`,
        CCCI_RESOLVE: JSON.stringify({ [domain]: target.hostname }),
      },
    });
    for (const run of runs) {
      if (run.result.cancelled) throw new CcciError('CANCELLED', `${run.kind}: stopped`);
      const prefix = run.kind === 'node-test' ? '' : 'tests/run: ';
      const parsed = (await rowsFromJunit(run.junit, prefix)) ?? rowsFromTap(run.result.stdout, prefix);
      if (run.junit) {
        // Stored like every artifact: through the secret registry.
        const name = run.kind === 'node-test' ? 'recipe-tests-node.xml' : 'recipe-tests-run.xml';
        writeFileSync(join(ctx.artifactsDir, name), ctx.secrets.redact(run.junit));
      }
      rows.push(...parsed);
      // The exit code is the verdict; a failing run with no failing row still fails.
      const name = run.kind === 'node-test' ? 'node --test tests/' : 'tests/run';
      const detail = run.result.timedOut
        ? `timed out after ${RECIPE_TESTS_TIMEOUT_MS / 60_000} min`
        : `exit ${run.result.exitCode}, ${parsed.length} test rows`;
      rows.push(
        run.result.exitCode === 0
          ? { name, status: 'pass', detail }
          : rowFromFact(name, { source: 'recipe-tests', what: 'exited' }, { detail }),
      );
    }
    rows.push(
      ...(await runCustomChecks(ctx.customChecks, {
        recipe: ctx.recipe,
        domain,
        ingress: ctx.config.swarm.ingress,
        exec: (service, cmd) => ctx.docker.execInService(app.name.stack, service, cmd, { signal: ctx.signal }),
        signal: ctx.signal,
      })),
    );
    return finishStage('recipe-local', started, rows, undefined, ctx.signal);
  } catch (err) {
    return finishStage('recipe-local', started, rows, err, ctx.signal);
  }
}
