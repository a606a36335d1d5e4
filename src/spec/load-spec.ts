// Finds and validates the spec a run uses (DESIGN §3.4, §3.6), in this order: the operator's
// `recipes/<recipe>/ci.yml` under the recipes folder, else the recipe's own `tests/cc-ci.yml` in
// the checkout of the commit under test, else none (the generic suite). Custom checks
// (`*.check.ts`) come only from the operator's folder: a recipe's repository never makes cc-ci load
// code. Errors name the file, the key and what was expected, and carry a spec fact saying whose
// file it was (blame.ts decides what that makes the run).
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join, sep } from 'node:path';
import { parseDocument } from 'yaml';
import { CcciError, type SpecFact } from '../model/errors.js';
import type { SpecUsed } from '../model/results.js';
import { genericSpec, specSchema, type RecipeSpec } from './schema.js';

/** Where a recipe ships its own spec, relative to its repository's root. */
export const RECIPE_SPEC_PATH = 'tests/cc-ci.yml';
/** A recipe's own spec larger than this is refused: a spec is a few dozen lines. */
const RECIPE_SPEC_MAX_BYTES = 64 * 1024;

const invalid = (message: string, from: SpecFact['from']) =>
  new CcciError('RECIPE_INVALID', message, { fact: { source: 'spec', what: 'invalid', from } });

export interface LoadedSpec {
  spec: RecipeSpec;
  /** Whose spec it is: the operator's, the recipe's own, or none (the generic suite). */
  source: SpecUsed['source'];
  /** The file read (the recipe's own: relative to its repository), or undefined for the generic suite. */
  file?: string;
  /** The file as results.json and the run page name it: relative to the recipes folder or the repository. */
  path?: string;
  /** `*.check.ts` / `*.check.js` / `*.check.mjs` files beside the operator's spec. */
  customChecks: string[];
}

/**
 * The spec a run of `recipe` uses. `checkout` is the recipe's clone at the commit under test;
 * without it (e.g. `cc-ci recipes --check`) only the operator's spec is looked at.
 */
export function loadSpec(recipesDir: string, recipe: string, checkout?: string): LoadedSpec {
  const dir = join(recipesDir, recipe);
  const file = join(dir, 'ci.yml');
  const customChecks = existsSync(dir)
    ? readdirSync(dir)
        .filter((n) => /\.check\.(ts|mjs|js)$/.test(n))
        .sort()
        .map((n) => join(dir, n))
    : [];
  if (existsSync(file)) {
    const path = `${recipe}/ci.yml`;
    return { spec: parseSpec(readFileSync(file, 'utf8'), file), source: 'operator', file, path, customChecks };
  }
  const own = checkout === undefined ? undefined : readRecipeSpec(checkout);
  if (own !== undefined) {
    const spec = parseSpec(own, RECIPE_SPEC_PATH, 'recipe');
    return { spec, source: 'recipe', file: RECIPE_SPEC_PATH, path: RECIPE_SPEC_PATH, customChecks };
  }
  return { spec: genericSpec, source: 'generic', customChecks };
}

/** The text of the recipe's own spec, when it has one: a regular file inside the checkout, nothing else. */
function readRecipeSpec(checkout: string): string | undefined {
  const path = join(checkout, RECIPE_SPEC_PATH);
  let stat;
  try {
    stat = lstatSync(path);
  } catch {
    return undefined;
  }
  // A symlink (or a linked tests/ folder) could point cc-ci at a file of the host: it is never read.
  if (stat.isSymbolicLink() || !stat.isFile() || !realpathSync(path).startsWith(realpathSync(checkout) + sep)) {
    throw invalid(`${RECIPE_SPEC_PATH}: must be a regular file in the repository, not a link or a folder`, 'recipe');
  }
  if (stat.size > RECIPE_SPEC_MAX_BYTES) {
    throw invalid(
      `${RECIPE_SPEC_PATH}: ${stat.size} bytes, more than the ${RECIPE_SPEC_MAX_BYTES} a spec may have`,
      'recipe',
    );
  }
  return readFileSync(path, 'utf8');
}

export function parseSpec(text: string, file: string, from: SpecFact['from'] = 'operator'): RecipeSpec {
  const doc = parseDocument(text, { schema: 'core', strict: true, uniqueKeys: true });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) throw invalid(`${file}: not valid YAML: ${problem.message.split('\n')[0]}`, from);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 50 });
  } catch (err) {
    // Too many aliases (a YAML bomb) is a bad spec like any other.
    throw invalid(`${file}: not valid YAML: ${(err as Error).message}`, from);
  }
  const parsed = specSchema.safeParse(value ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`);
    throw invalid(`${file}: ${issues.join('; ')}`, from);
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
