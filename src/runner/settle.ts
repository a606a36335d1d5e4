// The settle phase: whatever happened, each app's service logs and images go into the artifacts,
// then every app is torn down (or, with --keep, the apps of failed stages are kept until
// keepUntil), the lease is released or kept, and the run's clones are removed. Teardown does not
// listen to the run's signal: a stopped run still cleans up.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage } from '../errors.js';
import { collectDiagnostics } from '../harness/diagnostics.js';
import { teardownApp } from '../harness/teardown.js';
import type { ServiceDiagnostics } from '../model/results.js';
import type { StageName, StageResult } from '../model/stage.js';
import type { AppHandle } from '../stages/stage-context.js';
import type { RunDeps } from './run-recipe.js';

export interface Settled {
  /** What teardown could not remove ("volume x", …); empty when clean. */
  left: string[];
  durationMs: number;
  keptUntil?: string;
  /** Per app domain: its services as they were before teardown. */
  services: Map<string, ServiceDiagnostics[]>;
}

// Logs are worth a few seconds before teardown, never more: a stopped run must start tearing down.
const DIAGNOSTICS_BUDGET_MS = 10_000;

// The apps whose stages failed: install, backup and recipe-local work on the install app.
const appOfStage: Record<StageName, AppHandle['role'] | undefined> = {
  install: 'install', backup: 'install', 'recipe-local': 'install', upgrade: 'upgrade', lint: undefined,
};

export async function settle(apps: AppHandle[], stages: Map<StageName, StageResult>, keep: boolean, deps: RunDeps): Promise<Settled> {
  const { log } = deps;
  const services = await diagnose(apps, deps);
  const failedRoles = new Set([...stages.values()].filter((s) => s.status === 'fail').map((s) => appOfStage[s.name]));
  const keepHours = deps.config.runner.keepOnFailure;
  // A stopped run is not a failure to look into: nothing is kept.
  const wantsKeep = keep && !deps.signal.aborted && apps.some((a) => failedRoles.has(a.role));
  if (wantsKeep && keepHours === 0) log.warn('--keep: runner.keepOnFailure is 0, so the failed deployment is torn down anyway');
  const keptUntil = wantsKeep && keepHours > 0 ? new Date(Date.now() + keepHours * 3_600_000).toISOString() : undefined;
  const kept = keptUntil ? apps.filter((a) => failedRoles.has(a.role)) : [];
  const teardown = await teardownAll(apps.filter((a) => !kept.includes(a)), deps);
  if (keptUntil && kept.length > 0) {
    deps.lease.keep(keptUntil, kept.map((a) => a.name.domain));
    for (const a of kept) deps.events.emit({ type: 'app-released', domain: a.name.domain, kept: true, keepUntil: keptUntil, left: [] });
    log.warn({ keepUntil: keptUntil, apps: kept.map((a) => a.name.domain) }, 'kept the failed deployment; the janitor reaps it after keepUntil');
  } else {
    deps.lease.release();
  }
  for (const role of ['install', 'upgrade', 'lint']) rmSync(join(deps.runDir.dir, `abra-${role}`, 'recipes'), { recursive: true, force: true });
  rmSync(deps.runDir.checkoutDir, { recursive: true, force: true });
  return { left: teardown.left, durationMs: teardown.durationMs, keptUntil: kept.length > 0 ? keptUntil : undefined, services };
}

/** Each app's service log tails and images, bounded in time; a failure here costs only the logs. */
async function diagnose(apps: AppHandle[], deps: RunDeps): Promise<Map<string, ServiceDiagnostics[]>> {
  const found = new Map<string, ServiceDiagnostics[]>();
  const work = Promise.all(apps.map(async (app) => {
    const services = await collectDiagnostics({
      docker: deps.docker, stack: app.name.stack, role: app.role, artifactsDir: deps.runDir.artifactsDir,
      redact: (text) => deps.secrets.redact(text), log: (line) => deps.log.warn(line),
    });
    found.set(app.name.domain, services);
  }));
  let timer: NodeJS.Timeout | undefined;
  const budget = new Promise<void>((resolve) => { timer = setTimeout(resolve, DIAGNOSTICS_BUDGET_MS); });
  await Promise.race([work.catch((err: unknown) => deps.log.warn(`collecting service logs failed: ${errorMessage(err)}`)), budget]);
  clearTimeout(timer);
  return found;
}

/** Teardown of every app at once, whatever happened, without the run's signal. */
async function teardownAll(apps: AppHandle[], deps: RunDeps): Promise<{ left: string[]; durationMs: number }> {
  const { docker, log } = deps;
  const started = Date.now();
  const outcomes = await Promise.all(apps.map(async (app) => {
    log.info({ domain: app.name.domain }, 'teardown');
    let left: string[];
    try {
      left = (await teardownApp({ abra: app.abra, docker, domain: app.name.domain, stack: app.name.stack, log: (line) => log.warn(line) })).left;
    } catch (err) {
      left = [`${app.name.stack}: teardown failed: ${errorMessage(err)}`];
    }
    deps.events.emit({ type: 'app-released', domain: app.name.domain, kept: false, left });
    return left;
  }));
  const left = outcomes.flat();
  if (left.length > 0) log.error({ left }, 'teardown left resources behind');
  else if (apps.length > 0) log.info({ durationMs: Date.now() - started }, 'teardown verified: nothing of the run is left');
  return { left, durationMs: Date.now() - started };
}
