// The upgrade stage (DESIGN §4.5), on its own app: deploy the previous release, seed a marker,
// upgrade to the head in place, then the version label must have moved to the head, the marker
// must have survived and the checks must pass.
import type { StageResult } from '../model/stage.js';
import { checkout } from '../harness/git.js';
import { AppBrowser } from './checks/browser.js';
import { expectMarker, newMarker, runData } from './data-marker.js';
import { deployApp, RecipeFailure, step } from './deploy-app.js';
import { finishStage } from './finish-stage.js';
import { checkLiveApp } from './install.js';
import type { AppHandle, StageContext } from './stage-context.js';

export async function runUpgrade(ctx: StageContext, app: AppHandle, base: string): Promise<StageResult> {
  const started = Date.now();
  const rows: StageResult['checks'] = [];
  const { docker, spec, signal } = ctx;
  const stack = app.name.stack;
  const browser = new AppBrowser(ctx.config.swarm.ingress, app.name.domain);
  browser.warm();
  try {
    const before = await deployApp(ctx, app, { chaos: false, version: base }, rows);
    const marker = newMarker();
    if (spec.data) {
      const data = spec.data;
      await step(rows, `seed marker on ${base}`, async () => {
        await runData(docker, stack, data, 'seed', marker);
        return expectMarker(docker, stack, data, marker, 'after seeding the base');
      }, () => marker);
    }
    await step(rows, 'check out the head', () => checkout(app.recipeDir, ctx.headSha, { signal }), () => ctx.headSha.slice(0, 8));
    const after = await deployApp(ctx, app, { chaos: true, redeploy: true }, rows);
    await step(rows, 'version label moved to the head', async () => {
      const moved = after.version !== undefined && after.version !== before.version;
      const atHead = ctx.headVersion === undefined || after.version === ctx.headVersion;
      if (!moved || !atHead) {
        throw new RecipeFailure(`the coop-cloud.${stack}.version label is ${JSON.stringify(after.version ?? '')} after the upgrade (base ${before.version ?? 'unlabelled'}, head ${ctx.headVersion ?? 'unlabelled'})`);
      }
      return after.version;
    }, (v) => `${before.version ?? base} -> ${v}`);
    if (spec.data) {
      const data = spec.data;
      await step(rows, 'marker survived the upgrade', () => expectMarker(docker, stack, data, marker, 'after the upgrade the data marker was lost'), () => marker);
    }
    rows.push(...await checkLiveApp(ctx, app, 'upgrade', browser));
  } catch (err) {
    return finishStage('upgrade', started, rows, err);
  } finally {
    await browser.close();
  }
  return finishStage('upgrade', started, rows);
}
