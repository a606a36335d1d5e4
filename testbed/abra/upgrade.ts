// `abra app upgrade`: a non-chaos deploy of a newer release over the running stack
// (volumes kept; A.5 [V] that it exists and writes the .env version, flags [U]).
import { loadApp } from './app.js';
import { deployStack } from './deploy.js';
import { ensureCleanCheckout, tags } from './git.js';
import { fail, info } from './log.js';
import { requireRecipeDir } from './paths.js';
import { deployedAppLabels } from './swarm.js';
import { compareVersions, newest, parseVersion } from './version.js';

export interface UpgradeFlags {
  force: boolean;
  noConvergeChecks: boolean;
}

export async function upgradeCommand(
  domain: string,
  versionArg: string | undefined,
  flags: UpgradeFlags,
): Promise<void> {
  const app = await loadApp(domain);
  requireRecipeDir(app.recipe);
  const labels = await deployedAppLabels(app.stack);
  if (labels === undefined) fail(`${domain} is not deployed`);
  const current = labels[`coop-cloud.${app.stack}.version`];
  const target = versionArg ?? newest(await tags(app.recipeDir));
  if (target === undefined) fail(`${app.recipe} has no published versions`);
  const cv = current !== undefined ? parseVersion(current) : undefined;
  const tv = parseVersion(target);
  if (!flags.force && cv !== undefined && tv !== undefined && compareVersions(tv, cv) <= 0) {
    fail(`cannot upgrade ${domain} from ${current ?? ''} to ${target}: not a newer version (use --force)`);
  }
  info(`upgrading ${domain} from ${current ?? 'unknown'} to ${target}`);
  await ensureCleanCheckout(app.recipeDir, app.recipe, target);
  await deployStack(app, { chaos: false, version: target, noConvergeChecks: flags.noConvergeChecks });
}
