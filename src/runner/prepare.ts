// The first phase of a run: check the request, clone the recipe, resolve the ref (or find the
// pinned commit), load the spec and plan the upgrade base (DESIGN §4.1–2). Everything that can
// refuse a run happens here, before any app exists.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readEnvFile } from '../abra/env-file.js';
import type { Config } from '../config/load-config.js';
import { enrolledRepoUrl } from '../config/enrolled.js';
import { checkout, cloneRepo, pinCommit, releaseTags, resolveRef } from '../git/git.js';
import { blame } from '../model/blame.js';
import { factOf } from '../model/errors.js';
import type { RunRequest } from '../model/run.js';
import { composeFiles, readComposeNames } from '../recipe/compose-names.js';
import { checkRecipeNames } from '../recipe/name-limits.js';
import { declaredVersion, planUpgradeBase, type BasePlan } from '../recipe/versions.js';
import { loadSpec, RECIPE_SPEC_PATH, type LoadedSpec } from '../spec/load-spec.js';
import { genericSpec } from '../spec/schema.js';
import { parseStages, validateRecipeName, validateRef, validateRepoUrl, validateSha } from '../validate/input.js';

/** A run as asked, before validation: from the command line or the server. */
export interface RunInput {
  recipe: string;
  ref: string;
  /** The commit to test (full sha), fetched through `ref`: the run tests it even when the ref has moved on. */
  sha?: string;
  repo?: string;
  /** Comma-separated stage names; none means runner.stages. */
  stages?: string;
  /** Install only. */
  quick?: boolean;
  /** Keep a failed deployment for runner.keepOnFailure hours instead of tearing it down. */
  keep?: boolean;
}

export interface Prepared {
  /** The first clone, at the head; per-app clones are made from it. */
  head: string;
  headSha: string;
  /** Where the ref pointed when the run pinned to another commit (logged), when it could be resolved. */
  refHead?: string;
  headVersion?: string;
  loaded: LoadedSpec;
  /**
   * The recipe's own spec at the tested commit does not validate: the recipe's failure (blame.ts),
   * so every asked stage fails with it; `loaded` is then the generic suite, for planning only.
   */
  specInvalid?: Error;
  plan: BasePlan;
  /** Why no app of the recipe can be made (its names do not fit beside the longest stack): install and upgrade fail. */
  namesTooLong?: Error;
}

/** Everything from outside is validated before anything is cloned or deployed. */
export function validateRequest(input: RunInput, config: Config): RunRequest {
  const recipe = validateRecipeName(input.recipe);
  const ref = validateRef(input.ref);
  const sha = input.sha === undefined ? undefined : validateSha(input.sha);
  const asked = input.quick ? ['install' as const] : input.stages !== undefined ? parseStages(input.stages) : [];
  const repo = validateRepoUrl(input.repo ?? enrolledRepoUrl(config, recipe));
  const stages = asked.length > 0 ? asked : [...config.runner.stages];
  return { recipe, ref, ...(sha ? { sha } : {}), repo, stages, keep: input.keep === true };
}

export async function prepare(
  req: RunRequest,
  config: Config,
  checkoutDir: string,
  signal: AbortSignal,
): Promise<Prepared> {
  const head = join(checkoutDir, req.recipe);
  await cloneRepo(req.repo, head, { signal });
  const { sha: headSha, refHead } = req.sha
    ? await pinCommit(head, req.ref, req.sha, { signal })
    : { sha: await resolveRef(head, req.ref, { signal }), refHead: undefined };
  await checkout(head, headSha, { signal });
  // Read from the commit under test, so a PR can change the recipe's own spec.
  const { loaded, specInvalid } = loadSpecAt(config.recipesDir, req.recipe, head);
  const files = composeFiles(Object.fromEntries(Object.entries(loaded.spec.env)));
  const headVersion = declaredVersion(head, files);
  const plan = planUpgradeBase(loaded.spec.upgrade.from, headVersion, await releaseTags(head, { signal }));
  return {
    head,
    headSha,
    refHead,
    headVersion,
    loaded,
    specInvalid,
    plan,
    namesTooLong: namesTooLong(head, loaded.spec.env),
  };
}

/** The spec; one that blame.ts calls the recipe's failure is kept to fail the stages, any other refuses the run. */
function loadSpecAt(recipesDir: string, recipe: string, head: string): { loaded: LoadedSpec; specInvalid?: Error } {
  try {
    return { loaded: loadSpec(recipesDir, recipe, head) };
  } catch (err) {
    if (blame(err).status !== 'fail') throw err;
    return {
      loaded: { spec: genericSpec, source: 'recipe', file: RECIPE_SPEC_PATH, path: RECIPE_SPEC_PATH, customChecks: [] },
      specInvalid: err as Error,
    };
  }
}

/**
 * The recipe's names against the longest stack abra makes, from the head's files as an app's .env
 * will have them (.env.sample, then the spec's env), before any app exists. Anything else wrong
 * with the files (a compose file missing) is left to each app's deploy, which reads its own .env.
 */
function namesTooLong(head: string, specEnv: Record<string, string>): Error | undefined {
  const sample = join(head, '.env.sample');
  const env = { ...(existsSync(sample) ? readEnvFile(sample) : {}), ...specEnv };
  try {
    checkRecipeNames(readComposeNames(head, composeFiles(env)), env);
  } catch (err) {
    const fact = factOf(err);
    if (fact?.source === 'recipe' && fact.what === 'names-too-long') return err as Error;
  }
  return undefined;
}
