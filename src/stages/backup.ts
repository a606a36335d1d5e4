// The backup stage (DESIGN §4.6), on the install app: seed → abra app backup create → mutate →
// abra app restore → the read equals the seed. Database recipes restore through their dump hooks.
// A recipe without backupbot labels has nothing to back up: `na`.
import { FactError } from '../model/errors.js';
import { whileRepoLocked } from '../backupbot/backup-repo.js';
import { waitForConvergence } from '../docker/converge.js';
import { readEnvFile } from '../abra/env-file.js';
import { finishStage } from '../model/blame.js';
import type { StageResult } from '../model/stage.js';
import { composeFiles, readComposeNames } from '../recipe/compose-names.js';
import { expectMarker, newMarker, runData, type DataTarget } from './data-marker.js';
import { convergeDeadline, withLastWords } from './deploy-app.js';
import type { AppHandle, StageContext } from './stage-context.js';
import { actingOnTheRecipe, StageSteps } from './steps.js';

export async function runBackup(ctx: StageContext, app: AppHandle): Promise<StageResult> {
  const started = Date.now();
  const steps = new StageSteps(ctx.signal);
  const { docker, spec, signal } = ctx;
  const { abra } = app;
  const { stack, domain } = app.name;
  const data: DataTarget | undefined = spec.data && { docker, stack, data: spec.data, signal };
  const marker = newMarker();
  let appEnv: Record<string, string>;
  try {
    appEnv = readEnvFile(abra.envFile(domain));
    if (!readComposeNames(app.recipeDir, composeFiles(appEnv)).hasBackupLabels) {
      return {
        name: 'backup',
        status: 'na',
        reason: 'the recipe has no backupbot.backup labels: there is nothing to back up',
        naBy: 'cc-ci',
        checks: [],
      };
    }
    if (data) {
      await steps.run(
        'seed marker',
        async () => {
          await runData(data, 'seed', marker);
          return expectMarker(data, marker, 'after seeding');
        },
        () => marker,
      );
    }
    // From here a snapshot may exist, even if the call fails or the run stops: teardown forgets it.
    app.backedUp = true;
    const backupCreate = () => actingOnTheRecipe(abra.backupCreate(domain, { signal }));
    await steps.run(
      'abra app backup create',
      () => whileRepoLocked(backupCreate, signal),
      (out) => lastInfo(out),
    );
    if (data) {
      await steps.run(
        'mutate',
        async () => {
          await runData(data, 'mutate', marker);
          const value = await runData(data, 'read', marker);
          if (value.includes(marker)) {
            const read = JSON.stringify(value.slice(0, 200));
            throw new FactError(
              { source: 'data', what: 'mutate-had-no-effect' },
              `data mutate did not change what read returns (${read}): the restore could not be told apart`,
            );
          }
          return value;
        },
        (v) => `read now returns ${JSON.stringify(v.slice(0, 80))}`,
      );
    }
    await steps.run(
      'abra app restore',
      () => whileRepoLocked(() => actingOnTheRecipe(abra.restore(domain, { signal })), signal),
      (out) => lastInfo(out),
    );
    await steps.run(
      'converged after restore',
      () =>
        withLastWords(ctx, waitForConvergence(docker, stack, { deadlineMs: convergeDeadline(ctx, appEnv), signal })),
      (c) => `${c.services.length} services at desired replicas`,
    );
    if (data) {
      await steps.run(
        'restore returned the seed',
        () => expectMarker(data, marker, 'after the restore the data is not the seed', { readBefore: true }),
        () => marker,
      );
    }
    return finishStage('backup', started, steps.rows, undefined, signal);
  } catch (err) {
    return finishStage('backup', started, steps.rows, err, signal);
  }
}

function lastInfo(out: string): string | undefined {
  return out.trim().split('\n').filter(Boolean).pop()?.slice(0, 200);
}
