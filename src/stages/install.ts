// The install stage (DESIGN §4.4): deploy the head as a fresh app, wait for convergence, then
// health through the ingress, the spec's checks, and a browser visit with a screenshot.
import { join } from 'node:path';
import { finishStage } from '../model/blame.js';
import type { CheckRow, StageResult } from '../model/stage.js';
import { AppBrowser } from './checks/browser.js';
import { ingressOf } from './checks/ingress-request.js';
import { checkHealth } from './checks/health.js';
import { runSpecChecks } from './checks/run-spec-checks.js';
import { deployApp } from './deploy-app.js';
import type { AppHandle, StageContext } from './stage-context.js';
import { StageSteps } from './steps.js';

export async function runInstall(ctx: StageContext, app: AppHandle): Promise<StageResult> {
  const started = Date.now();
  const steps = new StageSteps(ctx.signal);
  // Chromium starts while the stack converges, so the browser check does not wait for it.
  const browser = new AppBrowser(ingressOf(ctx.config.swarm), app.name.domain, ctx.signal);
  browser.warm();
  try {
    await deployApp(ctx, app, { chaos: true }, steps);
    steps.push(...(await checkLiveApp(ctx, app, 'install', browser)));
    return finishStage('install', started, steps.rows, undefined, ctx.signal);
  } catch (err) {
    return finishStage('install', started, steps.rows, err, ctx.signal);
  } finally {
    await browser.close();
  }
}

/** Health, then (when healthy) the spec's checks and a screenshot of `/`: run after install and after upgrade. */
export async function checkLiveApp(
  ctx: StageContext,
  app: AppHandle,
  label: string,
  browser: AppBrowser,
): Promise<CheckRow[]> {
  const ingress = ingressOf(ctx.config.swarm);
  const { health } = ctx.spec;
  const rows = [
    await checkHealth(
      ingress,
      app.name.domain,
      { path: health.path, status: health.status, timeoutMs: health.timeout },
      ctx.signal,
    ),
  ];
  if (rows[0]?.status !== 'pass' || ctx.signal.aborted) return rows;
  rows.push(
    ...(await runSpecChecks(ctx.spec.checks, ingress, app.name.domain, browser, ctx.artifactsDir, label, ctx.signal)),
  );
  if (ctx.signal.aborted) return rows;
  rows.push(await browser.check({ path: '/', screenshotFile: join(ctx.artifactsDir, `${label}-screenshot.png`) }));
  return rows;
}
