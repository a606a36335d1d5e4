// Creates a test app and deploys it, the way every stage that needs a live app does:
// abra app new, the CI env, Docker-limit check, secrets, deploy, wait for convergence, and
// read back what was deployed. Each step adds a check row; a failing step throws.
import { FactError } from '../model/errors.js';
import { ConvergenceError, waitForConvergence } from '../docker/converge.js';
import { lastWords } from '../docker/diagnostics.js';
import { readEnvFile, setEnvValues } from '../abra/env-file.js';
import type { DeployedApp } from '../model/results.js';
import { composeFiles, readComposeNames } from '../recipe/compose-names.js';
import { checkRecipeNameLimits } from '../recipe/name-limits.js';
import type { AppHandle, StageContext } from './stage-context.js';
import { actingOnTheRecipe, type StageSteps } from './steps.js';

export interface DeployTarget {
  /** Deploy the checked-out tree (the head) or a release version (an upgrade's base). */
  chaos: boolean;
  version?: string;
  /** Deploy onto the app that is already there (an upgrade): no app new, no new secrets. */
  redeploy?: boolean;
}

export async function deployApp(
  ctx: StageContext,
  handle: AppHandle,
  target: DeployTarget,
  steps: StageSteps,
): Promise<DeployedApp> {
  const { docker, log, signal } = ctx;
  const { abra, name: app } = handle;
  const envFile = abra.envFile(app.domain);
  if (!target.redeploy) {
    await steps.run(
      'abra app new',
      () => abra.appNew(ctx.recipe, app.domain, { signal }),
      () => app.domain,
    );
    // Empty LETS_ENCRYPT_ENV: the router names no cert resolver, so ACME never runs for test domains.
    setEnvValues(envFile, { LETS_ENCRYPT_ENV: '', ...specEnv(ctx, app.domain) });
  }
  const env = readEnvFile(envFile);
  await steps.run(
    'swarm names within limits',
    async () => {
      const names = readComposeNames(handle.recipeDir, composeFiles(env));
      checkRecipeNameLimits(app.stack, names, env);
      return names;
    },
    (n) => `${n.services.length} services, ${n.secrets.length} secrets`,
  );
  if (!target.redeploy)
    await steps.run(
      'abra app secret generate',
      async () => {
        const generated = await abra.generateSecrets(app.domain, { signal });
        for (const s of generated) ctx.secrets.add(s.value);
        return generated;
      },
      (g) => `${g.length} secrets generated and masked`,
    );
  const deployLabel = target.chaos
    ? `abra app deploy --chaos (head${target.redeploy ? ', onto the running app' : ''})`
    : `abra app deploy ${target.version}`;
  await steps.run(deployLabel, () =>
    actingOnTheRecipe(
      abra.deploy(app.domain, target.chaos ? { chaos: true } : { version: target.version ?? '' }, { signal }),
    ),
  );
  const converged = await steps.run(
    'converged',
    () =>
      withLastWords(
        ctx,
        waitForConvergence(docker, app.stack, {
          deadlineMs: convergeDeadline(ctx, env),
          signal,
          onProgress: (line) => log.info({ stack: app.stack }, line),
        }),
      ),
    (c) => `${c.services.length} services at desired replicas`,
  );
  log.info(
    { stack: app.stack, lagMs: converged.noticedAt - converged.reportedAt, stableForMs: converged.stableForMs },
    'stack converged',
  );
  const appService = converged.services.find((s) => s.name === `${app.stack}_app`);
  const deployed: DeployedApp = {
    role: handle.role,
    domain: app.domain,
    stack: app.stack,
    version: appService?.labels[`coop-cloud.${app.stack}.version`],
    chaosVersion: appService?.labels[`coop-cloud.${app.stack}.chaos-version`],
  };
  if (target.chaos) {
    await steps.run(
      'deployed the head commit',
      async () => {
        const stamped = deployed.chaosVersion?.replace(/\+U$/, '') ?? '';
        if (!stamped || !ctx.headSha.startsWith(stamped)) {
          const carried = JSON.stringify(deployed.chaosVersion ?? '');
          throw new FactError(
            { source: 'version', what: 'not-the-head' },
            `the app service carries chaos-version ${carried}, not the head ${ctx.headSha.slice(0, 8)}`,
          );
        }
        return stamped;
      },
      (s) => `chaos-version ${s}${deployed.version ? `, version label ${deployed.version}` : ''}`,
    );
  }
  handle.deployed = deployed;
  return deployed;
}

/** Every convergence wait of an app has one deadline: its .env's TIMEOUT (seconds), else runner.deployTimeout. */
export function convergeDeadline(ctx: Pick<StageContext, 'config'>, env: Record<string, string>): number {
  const timeoutS = Number(env.TIMEOUT);
  return Number.isFinite(timeoutS) && timeoutS > 0 ? timeoutS * 1000 : ctx.config.runner.deployTimeout;
}

/**
 * A stack that did not converge is explained by its containers' last words, not only by
 * "did not converge": the tail of each stuck service's log joins the message.
 */
export async function withLastWords<T>(ctx: Pick<StageContext, 'docker'>, wait: Promise<T>): Promise<T> {
  try {
    return await wait;
  } catch (err) {
    if (!(err instanceof ConvergenceError) || err.services.length === 0) throw err;
    const words = (
      await Promise.all(
        err.services.slice(0, 3).map(async (s) => {
          const w = await lastWords(ctx.docker, s);
          return w ? `${s} last logged: ${w}` : '';
        }),
      )
    ).filter(Boolean);
    if (words.length === 0) throw err;
    throw new ConvergenceError(`${err.message}; ${words.join('; ')}`, err.services, err.what);
  }
}

/** The spec's env with `{{domain}}` substituted. */
function specEnv(ctx: StageContext, domain: string): Record<string, string> {
  return Object.fromEntries(Object.entries(ctx.spec.env).map(([k, v]) => [k, v.replaceAll('{{domain}}', domain)]));
}
