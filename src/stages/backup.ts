// The backup stage (DESIGN §4.6), on the install app: seed → abra app backup create → mutate →
// abra app restore → the read equals the seed. Database recipes restore through their dump hooks.
import type { StageResult } from '../model/stage.js';
import { waitForConvergence } from '../harness/converge.js';
import { expectMarker, newMarker, runData } from './data-marker.js';
import { abraFailureIsTheRecipes, RecipeFailure, step } from './deploy-app.js';
import { finishStage } from './finish-stage.js';
import type { AppHandle, StageContext } from './stage-context.js';

export async function runBackup(ctx: StageContext, app: AppHandle): Promise<StageResult> {
  const started = Date.now();
  const rows: StageResult['checks'] = [];
  const { docker, spec, signal } = ctx;
  const { abra } = app;
  const { stack, domain } = app.name;
  const data = spec.data;
  const marker = newMarker();
  try {
    if (data) {
      await step(rows, 'seed marker', async () => {
        await runData(docker, stack, data, 'seed', marker);
        return expectMarker(docker, stack, data, marker, 'after seeding');
      }, () => marker);
    }
    await step(rows, 'abra app backup create', () => abraFailureIsTheRecipes(abra.backupCreate(domain, { signal })), (out) => lastInfo(out));
    if (data) {
      await step(rows, 'mutate', async () => {
        await runData(docker, stack, data, 'mutate', marker);
        const value = await runData(docker, stack, data, 'read', marker);
        if (value.includes(marker)) throw new RecipeFailure(`data mutate did not change what read returns (${JSON.stringify(value.slice(0, 200))}): the restore could not be told apart`);
        return value;
      }, (v) => `read now returns ${JSON.stringify(v.slice(0, 80))}`);
    }
    await step(rows, 'abra app restore', () => abraFailureIsTheRecipes(abra.restore(domain, { signal })), (out) => lastInfo(out));
    await step(rows, 'converged after restore', () => waitForConvergence(docker, stack, { deadlineMs: ctx.config.runner.deployTimeout, signal }),
      (c) => `${c.services.length} services at desired replicas`);
    if (data) {
      await step(rows, 'restore returned the seed', () => expectMarker(docker, stack, data, marker, 'after the restore the data is not the seed'), () => marker);
    }
  } catch (err) {
    return finishStage('backup', started, rows, err);
  }
  return finishStage('backup', started, rows);
}

function lastInfo(out: string): string | undefined {
  return out.trim().split('\n').filter(Boolean).pop()?.slice(0, 200);
}
