// Which recipes cc-ci knows (enrolled forge repositories, and spec folders under recipesDir) and
// where an enrolled recipe's repository is. `enrolled` is serve's live set (src/config/enrolment.ts:
// forge.repos and the recipes of its orgs); a command that runs once knows only the listed ones.
import { existsSync, readdirSync } from 'node:fs';
import { CcciError } from '../model/errors.js';
import type { Config } from './load-config.js';

/** The enrolled repository on the forge whose name is the recipe, as a clone URL. */
export function enrolledRepoUrl(
  config: Config,
  recipe: string,
  enrolled: readonly string[] = config.forge?.repos ?? [],
): string {
  const repo = enrolled.find((r) => r.split('/')[1] === recipe);
  if (!config.forge || !repo) {
    const orgs = config.forge?.repoOrgs ?? [];
    const hint = orgs.length
      ? ` (the recipes of ${orgs.join(', ')} are found by cc-ci serve only: give --repo here)`
      : '';
    throw new CcciError(
      'USAGE',
      `no repository given and ${recipe} is not an enrolled repository in forge.repos${hint}`,
    );
  }
  return `${config.forge.url.replace(/\/$/, '')}/${repo}.git`;
}

/**
 * The enrolled repository (owner/name) a run tested, or undefined when it tested another one: the
 * repository named like the recipe, when the run cloned it from the forge. `enrolled` as in
 * enrolledRepoUrl (serve's live set).
 */
export function enrolledRepoOfRun(
  config: Config,
  run: { recipe: string; repo: string },
  enrolled: readonly string[] = config.forge?.repos ?? [],
): string | undefined {
  const repo = enrolled.find((r) => r.split('/')[1] === run.recipe);
  if (!repo) return undefined;
  const plain = (url: string) =>
    url
      .replace(/\/+$/, '')
      .replace(/\.git$/, '')
      .toLowerCase();
  return plain(run.repo) === plain(enrolledRepoUrl(config, run.recipe, enrolled)) ? repo : undefined;
}

/** Every recipe cc-ci knows: the names of the enrolled repositories and the folders of recipesDir, sorted. */
export function knownRecipes(config: Config, enrolled: readonly string[] = config.forge?.repos ?? []): string[] {
  const names = new Set(enrolled.map((r) => r.split('/')[1] ?? r));
  if (existsSync(config.recipesDir)) {
    for (const d of readdirSync(config.recipesDir, { withFileTypes: true })) if (d.isDirectory()) names.add(d.name);
  }
  return [...names].sort();
}
