// The install stage (DESIGN §4.4): deploy the head as a fresh app, wait for convergence, then
// health through the ingress and a browser visit with a screenshot.
import { join } from 'node:path';
import type { StageResult } from '../model/stage.js';
import type { AppName } from '../harness/app-name.js';
import type { DeployedApp } from '../report/results.js';
import { checkInBrowser } from './checks/browser.js';
import { checkHealth } from './checks/health.js';
import { deployApp } from './deploy-app.js';
import type { StageContext } from './stage-context.js';
import { finishStage } from './finish-stage.js';

// Without a recipe spec: `/` must answer below 500 within this long after convergence.
export const DEFAULT_HEALTH_TIMEOUT_MS = 60_000;

export interface InstallOutcome {
  stage: StageResult;
  deployed?: DeployedApp;
  screenshot?: string;
}

export async function runInstall(ctx: StageContext, app: AppName): Promise<InstallOutcome> {
  const started = Date.now();
  const rows: StageResult['checks'] = [];
  let deployed: DeployedApp | undefined;
  let screenshot: string | undefined;
  try {
    deployed = await deployApp(ctx, app, 'install', { chaos: true }, rows);
    const ingress = ctx.config.swarm.ingress;
    const health = await checkHealth(ingress, app.domain, { path: '/', timeoutMs: DEFAULT_HEALTH_TIMEOUT_MS }, ctx.signal);
    rows.push(health);
    if (health.status === 'pass') {
      const file = join(ctx.artifactsDir, 'install-screenshot.png');
      const browser = await checkInBrowser(ingress, app.domain, { path: '/', screenshotFile: file });
      rows.push(browser);
      if (browser.artifact) screenshot = browser.artifact;
    }
  } catch (err) {
    return { stage: finishStage('install', started, rows, err), deployed, screenshot };
  }
  return { stage: finishStage('install', started, rows), deployed, screenshot };
}
