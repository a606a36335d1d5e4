// `cc-ci recipes`: the enrolled recipes and their specs; with --check, exit 2 if a spec is invalid.
import { loadConfigAsync } from '../config/load-config.js';
import type { SecretRegistry } from '../secrets/secret-registry.js';
import { checkAllSpecs } from '../spec/load-spec.js';

export interface RecipesFlags {
  check?: boolean;
  config?: string;
}

export async function recipesCommand(flags: RecipesFlags, secrets: SecretRegistry): Promise<number> {
  const config = await loadConfigAsync({ path: flags.config, secrets });
  const enrolled = new Set(config.forge?.repos.map((r) => r.split('/')[1] ?? r) ?? []);
  const rows = checkAllSpecs(config.recipesDir);
  for (const name of enrolled) if (!rows.some((r) => r.recipe === name)) rows.push({ recipe: name, customChecks: 0 });
  let bad = 0;
  for (const r of rows.sort((a, b) => a.recipe.localeCompare(b.recipe))) {
    if (r.error) bad++;
    const checks = r.customChecks ? `, ${r.customChecks} custom checks` : '';
    const what = r.error ? `INVALID ${r.error}` : r.file ? `spec ${r.file}${checks}` : 'generic suite (no spec)';
    const short = r.error ? 'INVALID' : r.file ? 'spec' : 'generic suite';
    process.stdout.write(`${r.recipe}${enrolled.has(r.recipe) ? ' (enrolled)' : ''}: ${flags.check ? what : short}\n`);
  }
  for (const org of config.forge?.repoOrgs ?? [])
    process.stdout.write(
      `and the recipe repositories of ${org}: found by cc-ci serve on the forge (cc-ci doctor lists them)\n`,
    );
  if (flags.check) process.stdout.write(`${rows.length} recipes, ${bad} invalid\n`);
  return flags.check && bad > 0 ? 2 : 0;
}
