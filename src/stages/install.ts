// The install stage (DESIGN §4.4): deploy the head as a fresh app, wait for convergence, then
// health through the ingress, the spec's checks, and a browser visit with a screenshot.
import { join } from 'node:path';
import type { StageResult } from '../model/stage.js';
import { AppBrowser } from './checks/browser.js';
import { checkHealth } from './checks/health.js';
import { runSpecChecks } from './checks/run-spec-checks.js';
import { deployApp } from './deploy-app.js';
import { finishStage } from './finish-stage.js';
import type { AppHandle, StageContext } from './stage-context.js';

export async function runInstall(ctx: StageContext, app: AppHandle): Promise<StageResult> {
  const started = Date.now();
  const rows: StageResult['checks'] = [];
  // Chromium starts while the stack converges, so the browser check does not wait for it.
  const browser = new AppBrowser(ctx.config.swarm.ingress, app.name.domain);
  browser.warm();
  try {
    await deployApp(ctx, app, { chaos: true }, rows);
    rows.push(...await checkLiveApp(ctx, app, 'install', browser));
  } catch (err) {
    return finishStage('install', started, rows, err);
  } finally {
    await browser.close();
  }
  return finishStage('install', started, rows);
}

/** Health, then (when healthy) the spec's checks and a screenshot of `/`: run after install and after upgrade. */
export async function checkLiveApp(ctx: StageContext, app: AppHandle, label: string, browser: AppBrowser): Promise<StageResult['checks']> {
  const { ingress } = ctx.config.swarm;
  const { health } = ctx.spec;
  const rows = [await checkHealth(ingress, app.name.domain, { path: health.path, status: health.status, timeoutMs: health.timeout }, ctx.signal)];
  if (rows[0]?.status !== 'pass') return rows;
  rows.push(...await runSpecChecks(ctx.spec.checks, ingress, app.name.domain, browser, ctx.artifactsDir, label));
  rows.push(await browser.check({ path: '/', screenshotFile: join(ctx.artifactsDir, `${label}-screenshot.png`) }));
  return rows;
}
