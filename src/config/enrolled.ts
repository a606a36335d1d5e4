// Which recipes cc-ci knows (enrolled forge repositories, and spec folders under recipesDir) and
// where an enrolled recipe's repository is.
import { existsSync, readdirSync } from 'node:fs';
import { CcciError } from '../model/errors.js';
import type { Config } from './load-config.js';

/** The enrolled repository on the forge whose name is the recipe, as a clone URL. */
export function enrolledRepoUrl(config: Config, recipe: string): string {
  const enrolled = config.forge?.repos.find((r) => r.split('/')[1] === recipe);
  if (!config.forge || !enrolled)
    throw new CcciError('USAGE', `no repository given and ${recipe} is not an enrolled repository in forge.repos`);
  return `${config.forge.url.replace(/\/$/, '')}/${enrolled}.git`;
}

/**
 * The enrolled repository (owner/name) a run tested, or undefined when it tested another one: the
 * repository named like the recipe, when the run cloned it from the forge.
 */
export function enrolledRepoOfRun(config: Config, run: { recipe: string; repo: string }): string | undefined {
  const enrolled = config.forge?.repos.find((r) => r.split('/')[1] === run.recipe);
  if (!enrolled) return undefined;
  const plain = (url: string) =>
    url
      .replace(/\/+$/, '')
      .replace(/\.git$/, '')
      .toLowerCase();
  return plain(run.repo) === plain(enrolledRepoUrl(config, run.recipe)) ? enrolled : undefined;
}

/** Every recipe cc-ci knows: the names of forge.repos and the folders of recipesDir, sorted. */
export function knownRecipes(config: Config): string[] {
  const names = new Set(config.forge?.repos.map((r) => r.split('/')[1] ?? r) ?? []);
  if (existsSync(config.recipesDir)) {
    for (const d of readdirSync(config.recipesDir, { withFileTypes: true })) if (d.isDirectory()) names.add(d.name);
  }
  return [...names].sort();
}
