// Which names make a swarm name exceed Docker's limits: services are `<stack>_<service>` (at most
// 63 characters), secrets `<stack>_<secret>_<version>` (at most 64). abra makes stack names of up
// to 45 characters (MAX_STACK_NAME, docs/abra-contract.md), so a recipe's own names must fit
// beside a 45-character stack: one that does not cannot be deployed as some apps, whatever cc-ci's
// swarm.domain is. That is the recipe's fail (RECIPE_BROKEN, a fact blame.ts judges), naming each
// name and the room it leaves, and it is found from the head's files before any app exists
// (runner/prepare.ts) as well as from each app's .env before its deploy (stages/deploy-app.ts).
// Only where the names pass that rule and this app's stack still does not fit is the operator's
// swarm.domain blamed (CONFIG_INVALID): a stack newAppName made is never longer than 45, so that
// is a last guard, an `error` of the stage (exit 3), never a refusal.
import { FactError } from '../model/errors.js';
import { checkNameLimits, MAX_SECRET_NAME, MAX_SERVICE_NAME, MAX_STACK_NAME } from '../model/app-name.js';
import { secretNames, secretVersion } from './compose-names.js';

export interface RecipeNames {
  services: string[];
  secrets: string[];
}

/** The longest service name that fits beside the longest stack: `<stack>_<service>`. */
export const MAX_RECIPE_SERVICE = MAX_SERVICE_NAME - MAX_STACK_NAME - 1;
/** The longest secret name and version, together, that fit beside the longest stack: `<stack>_<secret>_<version>`. */
export const MAX_RECIPE_SECRET_AND_VERSION = MAX_SECRET_NAME - MAX_STACK_NAME - 2;

/** Each of the recipe's names that does not fit beside a 45-character stack, with the room it leaves. */
export function namesTooLong(names: RecipeNames, env: Record<string, string>): string[] {
  const room = (left: number) => `leaves room for a ${Math.max(left, 0)}-character stack name`;
  return [
    ...names.services
      .filter((s) => s.length > MAX_RECIPE_SERVICE)
      .map((s) => `service ${s} (${s.length} characters) ${room(MAX_SERVICE_NAME - 1 - s.length)}`),
    ...names.secrets
      .map((s) => ({ s, v: secretVersion(s, env) }))
      .filter(({ s, v }) => s.length + v.length > MAX_RECIPE_SECRET_AND_VERSION)
      .map(
        ({ s, v }) =>
          `secret ${s} with version ${v} (${s.length + v.length} characters) ` +
          room(MAX_SECRET_NAME - 2 - s.length - v.length),
      ),
  ];
}

/** Throws the recipe's fail when any of its names cannot fit beside the longest stack abra makes. */
export function checkRecipeNames(names: RecipeNames, env: Record<string, string>): void {
  const tooLong = namesTooLong(names, env);
  if (tooLong.length === 0) return;
  throw new FactError(
    { source: 'recipe', what: 'names-too-long' },
    `the recipe's swarm names do not fit beside the longest stack name abra makes (${MAX_STACK_NAME} characters): ` +
      `${tooLong.join('; ')}. Shorten them in the recipe's compose files: a service name to at most ` +
      `${MAX_RECIPE_SERVICE} characters, a secret name and its version together to at most ` +
      `${MAX_RECIPE_SECRET_AND_VERSION} (Docker allows ${MAX_SERVICE_NAME} for <stack>_<service>, ` +
      `${MAX_SECRET_NAME} for <stack>_<secret>_<version>)`,
  );
}

/** The recipe's rule first; then this app's own stack (CONFIG_INVALID, naming swarm.domain). */
export function checkRecipeNameLimits(stack: string, names: RecipeNames, env: Record<string, string>): void {
  checkRecipeNames(names, env);
  checkNameLimits(stack, names.services, secretNames(stack, names.secrets, env));
}
