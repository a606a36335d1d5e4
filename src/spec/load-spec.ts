// Finds and validates a recipe's spec and custom checks under the recipes folder. Errors name the
// file, the key and what was expected.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { CcciError } from '../model/errors.js';
import { genericSpec, specSchema, type RecipeSpec } from './schema.js';

export interface LoadedSpec {
  spec: RecipeSpec;
  /** The ci.yml read, or undefined for the generic suite. */
  file?: string;
  /** `*.check.ts` / `*.check.js` / `*.check.mjs` files beside it. */
  customChecks: string[];
}

export function loadSpec(recipesDir: string, recipe: string): LoadedSpec {
  const dir = join(recipesDir, recipe);
  const file = join(dir, 'ci.yml');
  const customChecks = existsSync(dir)
    ? readdirSync(dir)
        .filter((n) => /\.check\.(ts|mjs|js)$/.test(n))
        .sort()
        .map((n) => join(dir, n))
    : [];
  if (!existsSync(file)) return { spec: genericSpec, customChecks };
  return { spec: parseSpec(readFileSync(file, 'utf8'), file), file, customChecks };
}

export function parseSpec(text: string, file: string): RecipeSpec {
  const doc = parseDocument(text, { schema: 'core', strict: true, uniqueKeys: true });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) throw new CcciError('RECIPE_INVALID', `${file}: not valid YAML: ${problem.message.split('\n')[0]}`);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 50 });
  } catch (err) {
    // Too many aliases (a YAML bomb) is a bad spec like any other.
    throw new CcciError('RECIPE_INVALID', `${file}: not valid YAML: ${(err as Error).message}`);
  }
  const parsed = specSchema.safeParse(value ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`);
    throw new CcciError('RECIPE_INVALID', `${file}: ${issues.join('; ')}`);
  }
  return parsed.data;
}

/** Every recipe folder under the recipes folder, validated; errors are collected, not thrown. */
export function checkAllSpecs(
  recipesDir: string,
): Array<{ recipe: string; file?: string; error?: string; customChecks: number }> {
  if (!existsSync(recipesDir)) throw new CcciError('CONFIG_INVALID', `recipes folder ${recipesDir} does not exist`);
  return readdirSync(recipesDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .map((recipe) => {
      try {
        const loaded = loadSpec(recipesDir, recipe);
        return { recipe, file: loaded.file, customChecks: loaded.customChecks.length };
      } catch (err) {
        return { recipe, error: (err as Error).message, customChecks: 0 };
      }
    });
}
