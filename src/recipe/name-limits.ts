// Which names make a swarm name exceed Docker's limits. Service names are `<stack>_<service>` (63
// characters at most) and secret names `<stack>_<secret>_<version>` (64). When a name would not
// fit even under a one-letter stack, the recipe's own names are too long (a fact blame.ts makes
// the recipe's fail). When a shorter stack would fit, the operator's swarm.domain is too long:
// the CONFIG_INVALID refusal of checkNameLimits stands (exit 2).
import { errorMessage, FactError } from '../model/errors.js';
import { checkNameLimits } from '../model/app-name.js';
import { secretNames } from './compose-names.js';

const SHORTEST_STACK = 'a';

export function checkRecipeNameLimits(
  stack: string,
  names: { services: string[]; secrets: string[] },
  env: Record<string, string>,
): void {
  try {
    checkNameLimits(stack, names.services, secretNames(stack, names.secrets, env));
  } catch (err) {
    try {
      checkNameLimits(SHORTEST_STACK, names.services, secretNames(SHORTEST_STACK, names.secrets, env));
    } catch (own) {
      const what = errorMessage(own)
        .replace(/^swarm names would exceed Docker's limits: /, '')
        .replace(/; use a shorter swarm\.domain$/, '');
      const message =
        `the recipe's swarm names exceed Docker's limits whatever the app is called (shown for a ` +
        `one-letter stack "${SHORTEST_STACK}"): ${what}; shorten these names in the recipe's compose files`;
      throw new FactError({ source: 'recipe', what: 'names-too-long' }, message, { cause: err });
    }
    throw err;
  }
}
