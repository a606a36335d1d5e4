// One run of one recipe at one ref (DESIGN §4): check out and plan, install and upgrade (in
// parallel when capacity allows), backup, recipe-local tests and lint, tear down always (or keep
// a failed deployment when asked), and write results.json and junit.xml.
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/load-config.js';
import { CcciError, errorMessage } from '../errors.js';
import type { Abra } from '../harness/abra.js';
import { newAppName } from '../harness/app-name.js';
import type { SwarmDocker } from '../harness/docker.js';
import { checkout, cloneRepo, releaseTags, resolveRef } from '../harness/git.js';
import { Lease } from '../harness/lease.js';
import { teardownApp } from '../harness/teardown.js';
import type { Logger } from '../log/create-logger.js';
import { stageNames, type StageName, type StageResult } from '../model/stage.js';
import { readEnvFile } from '../harness/env-file.js';
import { composeFiles, readComposeNames } from '../recipe/compose-names.js';
import { declaredVersion, planUpgradeBase, type BasePlan } from '../recipe/versions.js';
import { writeJunit } from '../report/junit.js';
import { RESULTS_SCHEMA_VERSION, writeResults, type RunResults } from '../report/results.js';
import { computeLevel, computeVerdict } from '../report/verdict.js';
import type { SecretRegistry } from '../secrets/secret-registry.js';
import { loadSpec } from '../spec/load-spec.js';
import { runBackup } from '../stages/backup.js';
import { runInstall } from '../stages/install.js';
import { runLint } from '../stages/lint.js';
import { runRecipeLocal } from '../stages/recipe-local/recipe-local.js';
import type { AppHandle, StageContext } from '../stages/stage-context.js';
import { runUpgrade } from '../stages/upgrade.js';
import type { RunDir } from './run-dir.js';

export interface RunRequest {
  recipe: string;
  repo: string;
  ref: string;
  stages: StageName[];
  /** Keep a failed deployment for runner.keepOnFailure hours instead of tearing it down. */
  keep?: boolean;
}

export interface RunDeps {
  config: Config;
  secrets: SecretRegistry;
  log: Logger;
  docker: SwarmDocker;
  /** An abra bound to one ABRA_DIR. */
  makeAbra: (abraDir: string) => Abra;
  signal: AbortSignal;
}

export async function runRecipe(req: RunRequest, deps: RunDeps, runDir: RunDir): Promise<RunResults> {
  const { config, log, docker, secrets, signal } = deps;
  const startedAt = new Date();
  const lease = new Lease(config.store, runDir.runId);
  const apps: AppHandle[] = [];
  const results = new Map<StageName, StageResult>();
  const done = (r: StageResult) => { results.set(r.name, r); log.info({ stage: r.name, status: r.status, reason: r.reason }, `${r.name}: ${r.status}`); };
  let headSha: string | undefined;
  let headVersion: string | undefined;
  let plan: BasePlan | undefined;
  let runError: string | undefined;
  try {
    const head = join(runDir.checkoutDir, req.recipe);
    log.info({ repo: req.repo, ref: req.ref }, `cloning ${req.recipe}`);
    await cloneRepo(req.repo, head, { signal });
    headSha = await resolveRef(head, req.ref, { signal });
    await checkout(head, headSha, { signal });
    const loaded = loadSpec(config.recipesDir, req.recipe);
    const { spec } = loaded;
    const files = composeFiles(Object.fromEntries(Object.entries(spec.env)));
    headVersion = declaredVersion(head, files);
    plan = planUpgradeBase(spec.upgrade.from, headVersion, await releaseTags(head, { signal }));
    log.info({ headSha, headVersion, spec: loaded.file ?? 'generic suite', plan }, `${req.ref} is ${headSha}`);
    const ctx: StageContext = {
      config, docker, log, secrets, signal, recipe: req.recipe, spec, customChecks: loaded.customChecks,
      headSha, headVersion, ref: req.ref, artifactsDir: runDir.artifactsDir,
    };
    const wanted = (name: StageName) => req.stages.includes(name) && spec.stages[name] !== 'na';
    for (const name of stageNames) {
      if (spec.stages[name] === 'na') done({ name, status: 'na', reason: spec.na_reason[name] ?? 'declared not applicable', checks: [] });
    }
    // A fresh clone per app: abra checks a version out in its own tree, so parallel apps never collide.
    const newApp = async (role: 'install' | 'upgrade' | 'lint', sha: string): Promise<AppHandle> => {
      const { abraDir, recipesDir } = runDir.abraDirFor(role);
      const recipeDir = join(recipesDir, req.recipe);
      await cloneRepo(head, recipeDir, { signal });
      await checkout(recipeDir, sha, { signal });
      const app: AppHandle = { name: newAppName(req.recipe, config.swarm.domain), role: role === 'lint' ? 'install' : role, abra: deps.makeAbra(abraDir), recipeDir };
      if (role !== 'lint') {
        lease.claim(app.name.domain);
        apps.push(app);
      }
      return app;
    };
    const install = async () => {
      if (!wanted('install')) return;
      const app = await newApp('install', headSha!);
      log.info({ domain: app.name.domain }, 'install: deploying the head');
      done(await runInstall(ctx, app));
    };
    const upgrade = async () => {
      if (!wanted('upgrade')) return;
      if ('na' in plan!) { done({ name: 'upgrade', status: 'na', reason: plan.na, checks: [] }); return; }
      if ('fail' in plan!) { done({ name: 'upgrade', status: 'fail', reason: plan.fail, checks: [] }); return; }
      const base = plan!.base;
      const app = await newApp('upgrade', await resolveRef(head, base, { signal }));
      log.info({ domain: app.name.domain, base }, `upgrade: deploying ${base}, then the head`);
      done(await runUpgrade(ctx, app, base));
    };
    if (config.runner.capacity >= 2) {
      // allSettled: if one side breaks, the other must finish before teardown starts.
      const settled = await Promise.allSettled([install(), upgrade()]);
      const broken = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (broken) throw broken.reason;
    } else {
      await install();
      await upgrade();
    }

    const installApp = apps.find((a) => a.role === 'install');
    const installPassed = results.get('install')?.status === 'pass';
    const needsInstall = (name: StageName) => {
      if (!wanted(name)) return false;
      if (installPassed && installApp) return true;
      done({ name, status: 'skip', reason: `not run: it needs a passing install${req.stages.includes('install') ? '' : ' (add install to --stages)'}`, checks: [] });
      return false;
    };
    if (needsInstall('backup') && installApp) {
      const appEnv = readEnvFile(installApp.abra.envFile(installApp.name.domain));
      const labelled = readComposeNames(installApp.recipeDir, composeFiles(appEnv)).hasBackupLabels;
      done(labelled ? await runBackup(ctx, installApp) : { name: 'backup', status: 'na', reason: 'the recipe has no backupbot.backup labels: there is nothing to back up', checks: [] });
    }
    if (needsInstall('recipe-local') && installApp) done(await runRecipeLocal(ctx, installApp));
    if (wanted('lint')) done(await runLint(ctx, await newApp('lint', headSha)));
  } catch (err) {
    // Bad input found before anything was deployed (an unknown ref, an invalid spec) is a usage error: exit 2.
    if (err instanceof CcciError && ['RECIPE_INVALID', 'INPUT_INVALID'].includes(err.code) && apps.length === 0) {
      lease.release();
      rmSync(runDir.dir, { recursive: true, force: true });
      throw err;
    }
    runError = signal.aborted ? `stopped: ${errorMessage(signal.reason)}` : errorMessage(err);
    log.error({ err: runError }, 'the run broke');
  }

  if (signal.aborted && !runError) runError = `stopped: ${errorMessage(signal.reason)}`;
  for (const name of stageNames) {
    if (results.has(name)) continue;
    const asked = req.stages.includes(name);
    results.set(name, asked
      ? { name, status: 'error', reason: `not reached: ${runError ?? 'the run ended early'}`, checks: [] }
      : { name, status: 'skip', reason: 'not asked for in this run', checks: [] });
  }
  const stages = stageNames.map((n) => results.get(n)!);
  // --keep keeps only the apps whose stages failed: the install app (install, backup, recipe-local) or the upgrade app.
  const failedRoles = new Set<string>([
    ...(['install', 'backup', 'recipe-local'] as const).some((n) => results.get(n)?.status === 'fail') ? ['install'] : [],
    ...results.get('upgrade')?.status === 'fail' ? ['upgrade'] : [],
  ]);
  const keepHours = config.runner.keepOnFailure;
  if (req.keep && failedRoles.size > 0 && keepHours === 0) log.warn('--keep: runner.keepOnFailure is 0, so the failed deployment is torn down anyway');
  const keepUntil = req.keep && failedRoles.size > 0 && keepHours > 0 ? new Date(Date.now() + keepHours * 3_600_000).toISOString() : undefined;
  const kept = keepUntil ? apps.filter((a) => failedRoles.has(a.role)) : [];
  const teardown = await teardownAll(apps.filter((a) => !kept.includes(a)), deps);
  if (keepUntil && kept.length > 0) {
    lease.keep(keepUntil, kept.map((a) => a.name.domain));
    log.warn({ keepUntil, apps: kept.map((a) => a.name.domain) }, 'kept the failed deployment; the janitor reaps it after keepUntil');
  } else {
    lease.release();
  }
  for (const role of ['install', 'upgrade', 'lint']) rmSync(join(runDir.dir, `abra-${role}`, 'recipes'), { recursive: true, force: true });
  rmSync(runDir.checkoutDir, { recursive: true, force: true });

  const finishedAt = new Date();
  const clean = teardown.left.length === 0;
  const out: RunResults = {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    runId: runDir.runId,
    recipe: req.recipe,
    repo: req.repo,
    ref: req.ref,
    headSha,
    versions: { base: plan && 'base' in plan ? plan.base : undefined, head: headVersion },
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - startedAt.getTime(),
    stages,
    level: computeLevel(stages),
    verdict: computeVerdict(stages, clean),
    apps: apps.map((a) => a.deployed ?? { role: a.role, domain: a.name.domain, stack: a.name.stack }),
    teardown: { clean, left: teardown.left, durationMs: teardown.durationMs, keptUntil: kept.length > 0 ? keepUntil : undefined },
    error: runError ?? (clean ? undefined : `teardown left ${teardown.left.join(', ')}`),
    artifacts: [],
  };
  out.artifacts = [...new Set(['results.json', 'junit.xml', ...readdirSync(runDir.artifactsDir)])].sort();
  writeResults(join(runDir.artifactsDir, 'results.json'), out, secrets);
  writeJunit(join(runDir.artifactsDir, 'junit.xml'), out, secrets);
  return out;
}

/** Teardown of every app, whatever happened, without the run's signal: a cancelled run still cleans up. */
async function teardownAll(apps: AppHandle[], deps: RunDeps): Promise<{ left: string[]; durationMs: number }> {
  const { docker, log } = deps;
  const started = Date.now();
  const outcomes = await Promise.all(apps.map(async (app) => {
    log.info({ domain: app.name.domain }, 'teardown');
    try {
      return (await teardownApp({ abra: app.abra, docker, domain: app.name.domain, stack: app.name.stack, log: (line) => log.warn(line) })).left;
    } catch (err) {
      return [`${app.name.stack}: teardown failed: ${errorMessage(err)}`];
    }
  }));
  const left = outcomes.flat();
  if (left.length > 0) log.error({ left }, 'teardown left resources behind');
  else if (apps.length > 0) log.info({ durationMs: Date.now() - started }, 'teardown verified: nothing of the run is left');
  return { left, durationMs: Date.now() - started };
}
