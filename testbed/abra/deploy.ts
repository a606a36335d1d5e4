// `abra app deploy` and the deploy step shared with `abra app upgrade` (A.2, A.3, A.6, A.8.3).
import type { App } from './app.js';
import { loadApp } from './app.js';
import { composeArgs, composeFiles, interpolationEnv, stackConfig } from './compose.js';
import { convergeTimeout, waitConverged } from './converge.js';
import { setEnvKey, writeEnvFile } from './envfile.js';
import { cleanEnv, docker } from './exec.js';
import { chaosVersion, ensureCleanCheckout, headSha, isDirty, tags } from './git.js';
import { fail, info, warn } from './log.js';
import { buildOverride, kernelHasIpvs, writeOverride } from './override.js';
import { requireRecipeDir } from './paths.js';
import { isDeployed } from './swarm.js';
import { newest, parseVersion } from './version.js';

export interface DeployPlan {
  chaos: boolean;
  /** the release version (non-chaos) or the chaos version (chaos) */
  version: string;
  noConvergeChecks: boolean;
}

export interface DeployFlags {
  chaos: boolean;
  force: boolean;
  ignoreEnvVersion: boolean;
  noConvergeChecks: boolean;
  noDomainChecks: boolean;
}

/** abra's labels on the `app` service; chaos keeps the recipe's own version label (A.3). */
function deployLabels(app: App, plan: DeployPlan): Record<string, string> {
  const p = `coop-cloud.${app.stack}`;
  const labels: Record<string, string> = { [`${p}.recipe`]: app.recipe, [`${p}.chaos`]: String(plan.chaos) };
  if (plan.chaos) labels[`${p}.chaos-version`] = plan.version;
  else labels[`${p}.version`] = plan.version;
  return labels;
}

/** The 28.x client's notice about --detach is not part of any error. */
function withoutDetachNotice(text: string): string {
  return text
    .split('\n')
    .filter((l) => !/^(Since --detach=false was not specified|In a future release, --detach=false)/.test(l))
    .join('\n')
    .trim();
}

/** Render, deploy with `docker stack deploy`, record the version in the .env, then converge. */
export async function deployStack(app: App, plan: DeployPlan): Promise<void> {
  const files = composeFiles(app);
  const env = interpolationEnv(app);
  const config = await stackConfig(files, env);
  if (!config.services?.['app']) warn(`${app.recipe} has no service named "app"; abra's labels are not set`);
  const override = await writeOverride(buildOverride(config, deployLabels(app, plan), !kernelHasIpvs()));
  info(`deploying ${app.recipe} ${plan.version}${plan.chaos ? ' (chaos)' : ''} as ${app.stack} on ${app.server}`);
  const since = Date.now();
  try {
    const args = ['stack', 'deploy', '--resolve-image', 'never', ...composeArgs([...files, override.path]), app.stack];
    const res = await docker(args, { env: cleanEnv(env), cwd: app.recipeDir, check: false });
    if (res.exitCode !== 0) fail(withoutDetachNotice(res.stderr || res.stdout) || 'docker stack deploy failed');
  } finally {
    await override.cleanup();
  }
  await writeEnvFile(app.envPath, setEnvKey(app.envText, app.recipeKey, `${app.recipe}:${plan.version}`));
  if (plan.noConvergeChecks) {
    info('skipping converge checks');
    return;
  }
  const label = config.services?.['app']?.deploy?.labels?.[`coop-cloud.${app.stack}.timeout`];
  await waitConverged(app.stack, convergeTimeout(label, app.env), since);
  info('deploy succeeded');
}

/** Which release to deploy: the argument, else the .env version (unless -i), else the newest tag. */
async function pickVersion(app: App, arg: string | undefined, ignoreEnv: boolean): Promise<string | undefined> {
  if (arg !== undefined) return arg;
  const known = await tags(app.recipeDir);
  if (!ignoreEnv && app.envVersion !== undefined) {
    if (known.includes(app.envVersion)) return app.envVersion;
    warn(`.env version ${app.envVersion} is not a published version of ${app.recipe}; using the newest one`);
  }
  return newest(known);
}

/** Non-chaos: clean tree, check the release out. Chaos: deploy the tree as it is. */
async function plan(app: App, versionArg: string | undefined, flags: DeployFlags): Promise<DeployPlan> {
  const base = { noConvergeChecks: flags.noConvergeChecks };
  if (flags.chaos) {
    if (versionArg !== undefined) warn(`ignoring version ${versionArg}: chaos deploys the checkout as it is`);
    const version = await chaosVersion(app.recipeDir);
    info(`taking chaos version: ${version}`);
    return { ...base, chaos: true, version };
  }
  const version = await pickVersion(app, versionArg, flags.ignoreEnvVersion);
  if (version === undefined) {
    if (await isDirty(app.recipeDir)) fail(`${app.recipe} has locally unstaged changes`);
    warn(`${app.recipe} has no published versions, deploying the latest commit`);
    return { ...base, chaos: false, version: (await headSha(app.recipeDir)).slice(0, 8) };
  }
  if (parseVersion(version) === undefined) warn(`${version} does not look like a recipe version`);
  await ensureCleanCheckout(app.recipeDir, app.recipe, version);
  return { ...base, chaos: false, version };
}

/**
 * abra checks that the app's DOMAIN resolves to the server unless --no-domain-checks (A.5 [U]).
 * The stand-in makes no DNS query: a test domain never resolves to this testbed, so the check
 * always fails, with a message that is a guess.
 */
function checkDomain(app: App, noDomainChecks: boolean): void {
  if (noDomainChecks) return;
  const name = app.env['DOMAIN'];
  if (name === undefined || name === '') {
    warn('no DOMAIN=... configured for app');
    return;
  }
  fail(
    `unable to resolve IPv4 address for ${name}: lookup ${name}: no such host ` +
      '(pass --no-domain-checks to skip this check)',
  );
}

export async function deployCommand(domain: string, versionArg: string | undefined, flags: DeployFlags): Promise<void> {
  const app = await loadApp(domain);
  requireRecipeDir(app.recipe);
  checkDomain(app, flags.noDomainChecks);
  if (!flags.force && (await isDeployed(app.stack))) fail(`${domain} is already deployed`);
  await deployStack(app, await plan(app, versionArg, flags));
}
