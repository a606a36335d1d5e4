// The install stage (DESIGN §4.4): deploy the head as a fresh app, wait for convergence, then
// health through the ingress, the spec's checks, and a browser visit with a screenshot.
import { join } from 'node:path';
import type { StageResult } from '../model/stage.js';
import { checkInBrowser } from './checks/browser.js';
import { checkHealth } from './checks/health.js';
import { runSpecChecks } from './checks/run-spec-checks.js';
import { deployApp } from './deploy-app.js';
import { finishStage } from './finish-stage.js';
import type { AppHandle, StageContext } from './stage-context.js';

export async function runInstall(ctx: StageContext, app: AppHandle): Promise<StageResult> {
  const started = Date.now();
  const rows: StageResult['checks'] = [];
  try {
    await deployApp(ctx, app, { chaos: true }, rows);
    rows.push(...await checkLiveApp(ctx, app, 'install'));
  } catch (err) {
    return finishStage('install', started, rows, err);
  }
  return finishStage('install', started, rows);
}

/** Health, then (when healthy) the spec's checks and a screenshot of `/`: run after install and after upgrade. */
export async function checkLiveApp(ctx: StageContext, app: AppHandle, label: string): Promise<StageResult['checks']> {
  const { ingress } = ctx.config.swarm;
  const { health } = ctx.spec;
  const rows = [await checkHealth(ingress, app.name.domain, { path: health.path, status: health.status, timeoutMs: health.timeout }, ctx.signal)];
  if (rows[0]?.status !== 'pass') return rows;
  rows.push(...await runSpecChecks(ctx.spec.checks, ingress, app.name.domain, ctx.artifactsDir, label));
  rows.push(await checkInBrowser(ingress, app.name.domain, { path: '/', screenshotFile: join(ctx.artifactsDir, `${label}-screenshot.png`) }));
  return rows;
}
