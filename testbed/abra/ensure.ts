// abra's recipe "ensure" step, run by recipe-touching commands (secret generate, backup create,
// restore, lint) unless --chaos is given: the checkout must be clean, and then abra checks out
// the version the app's .env records, or the newest release when it records none (interfaces.md
// A.2 [V]: "later operations check the recipe out at this .env version unless … --chaos";
// A.8.3 [V3]: chaos returns early). What it does with a chaos version in the .env (a commit, not
// a tag) is a guess: it checks that commit out. So without --chaos, the PR head cc-ci checked
// out would silently be replaced, which is why cc-ci passes --chaos on these calls.
import type { App } from './app.js';
import { git } from './exec.js';
import { ensureCleanCheckout, isDirty, tags } from './git.js';
import { fail, info } from './log.js';
import { newest } from './version.js';

export async function ensureRecipe(app: App): Promise<void> {
  await ensureRecipeDir(app.recipeDir, app.recipe, app.envVersion);
}

/** Clean tree, then the .env's version (a tag, or a chaos commit without `+U`), else the newest tag. */
export async function ensureRecipeDir(dir: string, recipe: string, envVersion: string | undefined): Promise<void> {
  if (await isDirty(dir)) fail(`${recipe} has locally unstaged changes`);
  const known = await tags(dir);
  const wanted = envVersion?.replace(/\+U$/, '') ?? newest(known);
  if (wanted === undefined) return; // no releases: abra stays on the default branch
  if (known.includes(wanted)) {
    await ensureCleanCheckout(dir, recipe, wanted);
  } else {
    const r = await git(dir, ['checkout', '--quiet', wanted], { check: false });
    if (r.exitCode !== 0) fail(`unable to check out ${wanted} of ${recipe}: ${r.stderr.trim()}`);
  }
  info(`ensured ${recipe} is at ${wanted}`);
}
