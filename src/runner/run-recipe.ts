// One run of one recipe at one ref (DESIGN §4): check the recipe out, plan, run the stages,
// tear down always, and write results.json and junit.xml.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/load-config.js';
import { CcciError, errorMessage } from '../errors.js';
import type { Abra } from '../harness/abra.js';
import { newAppName, type AppName } from '../harness/app-name.js';
import type { SwarmDocker } from '../harness/docker.js';
import { checkout, cloneRepo, resolveRef } from '../harness/git.js';
import { Lease } from '../harness/lease.js';
import { teardownApp, type TeardownResult } from '../harness/teardown.js';
import type { Logger } from '../log/create-logger.js';
import { stageNames, type StageName, type StageResult } from '../model/stage.js';
import { writeJunit } from '../report/junit.js';
import { RESULTS_SCHEMA_VERSION, writeResults, type DeployedApp, type RunResults } from '../report/results.js';
import { computeLevel, computeVerdict } from '../report/verdict.js';
import type { SecretRegistry } from '../secrets/secret-registry.js';
import { runInstall } from '../stages/install.js';
import type { StageContext } from '../stages/stage-context.js';
import type { RunDir } from './run-dir.js';

/** Stages this version can run; the others are reported as skipped with the reason. */
export const implementedStages: readonly StageName[] = ['install'];

export interface RunRequest {
  recipe: string;
  repo: string;
  ref: string;
  stages: StageName[];
}

export interface RunDeps {
  config: Config;
  secrets: SecretRegistry;
  log: Logger;
  docker: SwarmDocker;
  abra: Abra;
  signal: AbortSignal;
}

export async function runRecipe(req: RunRequest, deps: RunDeps, runDir: RunDir): Promise<RunResults> {
  const { config, log, docker, abra, secrets, signal } = deps;
  const startedAt = new Date();
  const lease = new Lease(config.store, runDir.runId);
  const apps: AppName[] = [];
  const created: DeployedApp[] = [];
  const deployed: DeployedApp[] = [];
  const stages: StageResult[] = [];
  let headSha: string | undefined;
  let runError: string | undefined;
  let teardown: TeardownResult = { left: [], durationMs: 0 };
  const recipeDir = join(runDir.recipesDir, req.recipe);
  try {
    log.info({ repo: req.repo, ref: req.ref }, `cloning ${req.recipe}`);
    await cloneRepo(req.repo, recipeDir, { signal });
    headSha = await resolveRef(recipeDir, req.ref, { signal });
    await checkout(recipeDir, headSha, { signal });
    log.info({ headSha }, `${req.ref} is ${headSha}`);
    const ctx: StageContext = { config, abra, docker, log, secrets, signal, recipe: req.recipe, recipeDir, headSha, artifactsDir: runDir.artifactsDir };
    if (req.stages.includes('install')) {
      const app = newAppName(req.recipe, config.swarm.domain);
      lease.claim(app.domain);
      apps.push(app);
      created.push({ role: 'install', domain: app.domain, stack: app.stack });
      log.info({ domain: app.domain }, 'install: deploying the head');
      const outcome = await runInstall(ctx, app);
      stages.push(outcome.stage);
      if (outcome.deployed) deployed.push(outcome.deployed);
      log.info({ status: outcome.stage.status, reason: outcome.stage.reason }, `install: ${outcome.stage.status}`);
    }
  } catch (err) {
    // Errors of the input (unknown ref) end the command with exit 2; they are rethrown after cleanup.
    if (err instanceof CcciError && ['RECIPE_INVALID', 'INPUT_INVALID'].includes(err.code)) {
      await cleanup();
      throw err;
    }
    runError = errorMessage(err);
    log.error({ err: runError }, 'the run broke');
  }
  await cleanup();

  for (const name of stageNames) {
    if (stages.some((s) => s.name === name)) continue;
    const asked = req.stages.includes(name);
    const reason = !asked ? 'not asked for in this run'
      : !implementedStages.includes(name) ? `the ${name} stage is not implemented in this version of cc-ci`
        : `not reached: ${runError ?? 'the run ended early'}`;
    stages.push({ name, status: asked && implementedStages.includes(name) ? 'error' : 'skip', reason, checks: [] });
  }
  stages.sort((a, b) => stageNames.indexOf(a.name) - stageNames.indexOf(b.name));
  const finishedAt = new Date();
  const clean = teardown.left.length === 0;
  const results: RunResults = {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    runId: runDir.runId,
    recipe: req.recipe,
    repo: req.repo,
    ref: req.ref,
    headSha,
    versions: { head: deployed.find((d) => d.role === 'install')?.version },
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - startedAt.getTime(),
    stages,
    level: computeLevel(stages),
    verdict: computeVerdict(stages, clean),
    apps: created.map((c) => deployed.find((d) => d.domain === c.domain) ?? c),
    teardown: { clean, left: teardown.left, durationMs: teardown.durationMs },
    error: runError ?? (clean ? undefined : `teardown left ${teardown.left.join(', ')}`),
    artifacts: [],
  };
  results.artifacts = ['results.json', 'junit.xml', 'run.log',
    ...stages.flatMap((s) => s.checks.map((c) => c.artifact).filter((a): a is string => !!a))];
  writeResults(join(runDir.artifactsDir, 'results.json'), results, secrets);
  writeJunit(join(runDir.artifactsDir, 'junit.xml'), results, secrets);
  return results;

  // Teardown runs whatever happened, without the run's signal: a cancelled run still cleans up.
  async function cleanup(): Promise<void> {
    const left: string[] = [];
    const started = Date.now();
    for (const app of apps) {
      log.info({ domain: app.domain }, 'teardown');
      try {
        const r = await teardownApp({ abra, docker, domain: app.domain, stack: app.stack, log: (line) => log.warn(line) });
        left.push(...r.left);
      } catch (err) {
        left.push(`${app.stack}: teardown failed: ${errorMessage(err)}`);
      }
    }
    teardown = { left, durationMs: Date.now() - started };
    if (left.length > 0) log.error({ left }, 'teardown left resources behind');
    else if (apps.length > 0) log.info({ durationMs: teardown.durationMs }, 'teardown verified: nothing of the run is left');
    apps.length = 0;
    rmSync(runDir.recipesDir, { recursive: true, force: true });
    lease.release();
  }
}
