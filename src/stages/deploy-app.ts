// Creates a test app and deploys it, the way every stage that needs a live app does:
// abra app new, the CI env, Docker-limit check, secrets, deploy, wait for convergence, and
// read back what was deployed. Each step adds a check row; a failing step throws.
import { CcciError } from '../errors.js';
import type { CheckRow } from '../model/stage.js';
import { checkNameLimits } from '../harness/app-name.js';
import { ConvergenceError, waitForConvergence } from '../harness/converge.js';
import { readEnvFile, setEnvValues } from '../harness/env-file.js';
import { composeFiles, readComposeNames, secretNames } from '../recipe/compose-names.js';
import type { DeployedApp } from '../report/results.js';
import type { AppHandle, StageContext } from './stage-context.js';

export interface DeployTarget {
  /** Deploy the checked-out tree (the head) or a release version (an upgrade's base). */
  chaos: boolean;
  version?: string;
  /** Deploy onto the app that is already there (an upgrade): no app new, no new secrets. */
  redeploy?: boolean;
}

/** Thrown when the recipe, not the infrastructure, made the deployment fail. */
export class RecipeFailure extends Error {}

/**
 * For abra calls that act on the recipe (deploy, backup, restore): abra refusing or failing (bad
 * compose, unknown version, a failing hook) is the recipe's failure; anything else stays as it is.
 */
export async function abraFailureIsTheRecipes<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    if (err instanceof CcciError && err.code === 'ABRA_FAILED') throw new RecipeFailure(err.message);
    throw err;
  }
}

/** Runs one step of a stage as a check row: pass with a detail, or fail (the recipe) / error (infrastructure) and rethrow. */
export async function step<T>(rows: CheckRow[], name: string, op: () => Promise<T>, detail?: (v: T) => string | undefined): Promise<T> {
  const started = Date.now();
  try {
    const value = await op();
    rows.push({ name, status: 'pass', detail: detail?.(value), durationMs: Date.now() - started });
    return value;
  } catch (err) {
    const recipeFault = err instanceof ConvergenceError || err instanceof RecipeFailure
      || (err instanceof CcciError && err.code === 'RECIPE_INVALID');
    rows.push({ name, status: recipeFault ? 'fail' : 'error', detail: (err as Error).message, durationMs: Date.now() - started });
    throw err;
  }
}

export async function deployApp(ctx: StageContext, handle: AppHandle, target: DeployTarget, rows: CheckRow[]): Promise<DeployedApp> {
  const { docker, log, signal } = ctx;
  const { abra, name: app } = handle;
  const envFile = abra.envFile(app.domain);
  if (!target.redeploy) {
    await step(rows, 'abra app new', () => abra.appNew(ctx.recipe, app.domain, { signal }), () => app.domain);
    // Empty LETS_ENCRYPT_ENV: the router names no cert resolver, so ACME never runs for test domains.
    setEnvValues(envFile, { LETS_ENCRYPT_ENV: '', ...specEnv(ctx, app.domain) });
  }
  const env = readEnvFile(envFile);
  await step(rows, 'swarm names within limits', async () => {
    const names = readComposeNames(handle.recipeDir, composeFiles(env));
    checkNameLimits(app.stack, names.services, secretNames(app.stack, names.secrets, env));
    return names;
  }, (n) => `${n.services.length} services, ${n.secrets.length} secrets`);
  if (!target.redeploy) await step(rows, 'abra app secret generate', async () => {
    const generated = await abra.generateSecrets(app.domain, { signal });
    for (const s of generated) ctx.secrets.add(s.value);
    return generated;
  }, (g) => `${g.length} secrets generated and masked`);
  const deployLabel = target.chaos ? `abra app deploy --chaos (head${target.redeploy ? ', onto the running app' : ''})` : `abra app deploy ${target.version}`;
  await step(rows, deployLabel, () => abraFailureIsTheRecipes(
    abra.deploy(app.domain, target.chaos ? { chaos: true } : { version: target.version ?? '' }, { signal })));
  const timeoutS = Number(env.TIMEOUT);
  const deadlineMs = Number.isFinite(timeoutS) && timeoutS > 0 ? timeoutS * 1000 : ctx.config.runner.deployTimeout;
  const converged = await step(rows, 'converged', () => waitForConvergence(docker, app.stack, {
    deadlineMs,
    signal,
    onProgress: (line) => log.info({ stack: app.stack }, line),
  }), (c) => `${c.services.length} services at desired replicas`);
  log.info({ stack: app.stack, lagMs: converged.noticedAt - converged.reportedAt }, 'stack converged');
  const appService = converged.services.find((s) => s.name === `${app.stack}_app`);
  const deployed: DeployedApp = {
    role: handle.role,
    domain: app.domain,
    stack: app.stack,
    version: appService?.labels[`coop-cloud.${app.stack}.version`],
    chaosVersion: appService?.labels[`coop-cloud.${app.stack}.chaos-version`],
  };
  if (target.chaos) {
    await step(rows, 'deployed the head commit', async () => {
      const stamped = deployed.chaosVersion?.replace(/\+U$/, '') ?? '';
      if (!stamped || !ctx.headSha.startsWith(stamped)) {
        throw new RecipeFailure(`the app service carries chaos-version ${JSON.stringify(deployed.chaosVersion ?? '')}, not the head ${ctx.headSha.slice(0, 8)}`);
      }
      return stamped;
    }, (s) => `chaos-version ${s}${deployed.version ? `, version label ${deployed.version}` : ''}`);
  }
  handle.deployed = deployed;
  return deployed;
}

/** The spec's env with `{{domain}}` substituted. */
function specEnv(ctx: StageContext, domain: string): Record<string, string> {
  return Object.fromEntries(Object.entries(ctx.spec.env).map(([k, v]) => [k, v.replaceAll('{{domain}}', domain)]));
}
