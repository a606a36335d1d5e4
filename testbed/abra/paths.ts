// The $ABRA_DIR layout (interfaces.md A.1): servers/<server>/<domain>.env, recipes/<recipe>.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fail } from './log.js';

export function abraDir(): string {
  const dir = process.env['ABRA_DIR'];
  return dir !== undefined && dir !== '' ? dir : join(homedir(), '.abra');
}

export function recipeDir(recipe: string): string {
  return join(abraDir(), 'recipes', recipe);
}

export function serversDir(): string {
  return join(abraDir(), 'servers');
}

export function serverDir(server: string): string {
  return join(serversDir(), server);
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory(); // follows symlinks: servers/ may be one (A.1)
  } catch {
    return false;
  }
}

export function listServers(): string[] {
  if (!isDir(serversDir())) return [];
  return readdirSync(serversDir())
    .filter((name) => isDir(join(serversDir(), name)))
    .sort();
}

/** Domains of the apps of one server, from its .env file names. */
export function listAppDomains(server: string): string[] {
  return readdirSync(serverDir(server))
    .filter((f) => f.endsWith('.env'))
    .map((f) => f.slice(0, -'.env'.length))
    .sort();
}

/** Find the server whose directory holds <domain>.env. */
export function findAppEnv(domain: string): { server: string; envPath: string } {
  for (const server of listServers()) {
    const envPath = join(serverDir(server), `${domain}.env`);
    if (existsSync(envPath)) return { server, envPath };
  }
  return fail(`cannot find app with name ${domain}`);
}

export function requireRecipeDir(recipe: string): string {
  const dir = recipeDir(recipe);
  if (!isDir(dir)) fail(`unable to find recipe ${recipe} in ${dir}, fetch it first`);
  return dir;
}
