// An app as abra sees it: its .env, its recipe (TYPE= or RECIPE=, maybe `recipe:version`),
// and its stack name derived from the domain (interfaces.md A.2, A.4).
import { readEnvFile } from './envfile.js';
import { fail, warn } from './log.js';
import { findAppEnv, recipeDir } from './paths.js';

/** MAX_SANITISED_APP_NAME_LENGTH in abra, as remembered in A.4 [U]. */
export const MAX_STACK_NAME = 45;

export interface App {
  domain: string;
  server: string;
  envPath: string;
  envText: string;
  env: Record<string, string>;
  /** which key names the recipe in this .env */
  recipeKey: 'TYPE' | 'RECIPE';
  recipe: string;
  /** the version after `:` in TYPE/RECIPE, if any */
  envVersion: string | undefined;
  stack: string;
  recipeDir: string;
}

const warned = new Set<string>();

/** Dots become underscores, hyphens stay; truncated to 45 characters with a warning. */
export function stackName(domain: string): string {
  const name = domain.replace(/\./g, '_');
  if (name.length <= MAX_STACK_NAME) return name;
  const short = name.slice(0, MAX_STACK_NAME);
  if (!warned.has(domain)) {
    warned.add(domain);
    warn(`trimming ${name} to ${short} to avoid runtime limits`);
  }
  return short;
}

/** Split `recipe:version` into its parts. */
export function splitRecipe(value: string): { recipe: string; version: string | undefined } {
  const i = value.indexOf(':');
  if (i < 0) return { recipe: value, version: undefined };
  const version = value.slice(i + 1);
  return { recipe: value.slice(0, i), version: version.length > 0 ? version : undefined };
}

export async function loadApp(domain: string): Promise<App> {
  const { server, envPath } = findAppEnv(domain);
  const { text, env } = await readEnvFile(envPath);
  const recipeKey = env['RECIPE'] !== undefined ? 'RECIPE' : 'TYPE';
  const { recipe, version } = splitRecipe(env[recipeKey] ?? '');
  if (recipe === '') fail(`${envPath} has no TYPE= or RECIPE= line`);
  return {
    domain,
    server,
    envPath,
    envText: text,
    env,
    recipeKey,
    recipe,
    envVersion: version,
    stack: stackName(domain),
    recipeDir: recipeDir(recipe),
  };
}
