// The upgrade stage (DESIGN §4.5), on its own app: deploy the previous release, seed a marker,
// upgrade to the head in place, then the version label must have moved to the head, the marker
// must have survived and the checks must pass.
import { FactError } from '../model/errors.js';
import { checkout } from '../git/git.js';
import { finishStage } from '../model/blame.js';
import type { StageResult } from '../model/stage.js';
import { AppBrowser } from './checks/browser.js';
import { ingressOf } from './checks/ingress-request.js';
import { expectMarker, newMarker, runData, type DataTarget } from './data-marker.js';
import { deployApp } from './deploy-app.js';
import { checkLiveApp } from './install.js';
import type { AppHandle, StageContext } from './stage-context.js';
import { StageSteps } from './steps.js';

export async function runUpgrade(ctx: StageContext, app: AppHandle, base: string): Promise<StageResult> {
  const started = Date.now();
  const steps = new StageSteps(ctx.signal);
  const { docker, spec, signal } = ctx;
  const stack = app.name.stack;
  const data: DataTarget | undefined = spec.data && { docker, stack, data: spec.data, signal };
  const browser = new AppBrowser(ingressOf(ctx.config.swarm), app.name.domain, signal);
  try {
    const before = await deployApp(ctx, app, { chaos: false, version: base }, steps);
    const marker = newMarker();
    if (data) {
      await steps.run(
        `seed marker on ${base}`,
        async () => {
          await runData(data, 'seed', marker);
          return expectMarker(data, marker, 'after seeding the base');
        },
        () => marker,
      );
    }
    await steps.run(
      'check out the head',
      () => checkout(app.recipeDir, ctx.headSha, { signal }),
      () => ctx.headSha.slice(0, 8),
    );
    // Chromium starts while the head converges, not at the busy start of the run (install starts its own then).
    browser.warm();
    const after = await deployApp(ctx, app, { chaos: true, redeploy: true }, steps);
    await steps.run(
      'version label moved to the head',
      async () => {
        const moved = after.version !== undefined && after.version !== before.version;
        const atHead = ctx.headVersion === undefined || after.version === ctx.headVersion;
        if (!moved || !atHead) {
          const label = JSON.stringify(after.version ?? '');
          const versions = `base ${before.version ?? 'unlabelled'}, head ${ctx.headVersion ?? 'unlabelled'}`;
          throw new FactError(
            { source: 'version', what: 'label-not-moved' },
            `the coop-cloud.${stack}.version label is ${label} after the upgrade (${versions})`,
          );
        }
        return after.version;
      },
      (v) => `${before.version ?? base} -> ${v}`,
    );
    if (data) {
      await steps.run(
        'marker survived the upgrade',
        () => expectMarker(data, marker, 'after the upgrade the data marker was lost', { readBefore: true }),
        () => marker,
      );
    }
    steps.push(...(await checkLiveApp(ctx, app, 'upgrade', browser)));
    return finishStage('upgrade', started, steps.rows, undefined, signal);
  } catch (err) {
    return finishStage('upgrade', started, steps.rows, err, signal);
  } finally {
    await browser.close();
  }
}
