// The lifecycle as a table (DESIGN §4): what each stage works on and what it needs. Stages on
// one chain run one after another; the three chains (the install app: install → backup →
// recipe-local; the upgrade app; lint on a clean clone) run side by side when
// runner.parallelApps is on, and in stage order when it is off.
import { RecipeFailure } from '../model/errors.js';
import type { Abra } from '../abra/abra.js';
import type { StageName, StageResult } from '../model/stage.js';
import { refusedStage } from '../model/blame.js';
import type { BasePlan } from '../recipe/versions.js';
import { runBackup } from '../stages/backup.js';
import { runInstall } from '../stages/install.js';
import { runLint } from '../stages/lint.js';
import { runRecipeLocal } from '../stages/recipe-local/recipe-local.js';
import type { AppHandle, StageContext } from '../stages/stage-context.js';
import { runUpgrade } from '../stages/upgrade.js';

export type Chain = 'install-app' | 'upgrade-app' | 'clean-clone';

/** What a stage can ask the run for. Apps are made on demand, claimed in the lease first. */
export interface StageScope {
  ctx: StageContext;
  /** The upgrade base chosen when the run was planned. */
  plan: BasePlan;
  /** A new app of the run with its own ABRA_DIR and clone at `ref` (a sha or a tag). */
  newApp(role: 'install' | 'upgrade', ref: string): Promise<AppHandle>;
  /** The install app, once the install stage made it. */
  installApp(): AppHandle;
  /** A fresh clone at the head with its own ABRA_DIR, and no app. */
  cleanClone(): Promise<{ abra: Abra; recipeDir: string }>;
}

export interface StageDef {
  name: StageName;
  chain: Chain;
  /** Works on the live install app, so it runs only after a passing install. */
  needsInstall: boolean;
  run(scope: StageScope): Promise<StageResult>;
}

export const lifecycle: readonly StageDef[] = [
  {
    name: 'install',
    chain: 'install-app',
    needsInstall: false,
    run: async (s) => runInstall(s.ctx, await s.newApp('install', s.ctx.headSha)),
  },
  {
    name: 'upgrade',
    chain: 'upgrade-app',
    needsInstall: false,
    run: async (s) => {
      const { plan } = s;
      if ('na' in plan) return { name: 'upgrade', status: 'na', reason: plan.na, naBy: 'cc-ci', checks: [] };
      if ('fail' in plan) {
        return refusedStage('upgrade', new RecipeFailure('NO_UPGRADE_BASE', plan.fail));
      }
      return runUpgrade(s.ctx, await s.newApp('upgrade', plan.base), plan.base);
    },
  },
  { name: 'backup', chain: 'install-app', needsInstall: true, run: (s) => runBackup(s.ctx, s.installApp()) },
  { name: 'recipe-local', chain: 'install-app', needsInstall: true, run: (s) => runRecipeLocal(s.ctx, s.installApp()) },
  { name: 'lint', chain: 'clean-clone', needsInstall: false, run: async (s) => runLint(s.ctx, await s.cleanClone()) },
];
