// Reads the names a recipe's compose files will give swarm objects, so they can be checked
// against Docker's limits before anything is deployed.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { FactError } from '../model/errors.js';

export interface ComposeNames {
  services: string[];
  /** Top-level secret keys (db_password), the `<name>` in `<stack>_<name>_<version>`. */
  secrets: string[];
  /** Whether any service carries a `backupbot.backup` label. */
  hasBackupLabels: boolean;
}

export function composeFiles(env: Record<string, string>): string[] {
  return (env.COMPOSE_FILE ?? 'compose.yml')
    .split(':')
    .map((f) => f.trim())
    .filter(Boolean);
}

export function readComposeNames(recipeDir: string, files: string[]): ComposeNames {
  const services = new Set<string>();
  const secrets = new Set<string>();
  let hasBackupLabels = false;
  for (const file of files) {
    const path = join(recipeDir, file);
    if (file.includes('..') || !existsSync(path)) {
      const fact = { source: 'recipe', what: 'compose-file-missing' } as const;
      throw new FactError(fact, `the recipe has no ${file} (named by COMPOSE_FILE or expected by default)`);
    }
    const doc = parseYaml(readFileSync(path, 'utf8')) as {
      services?: Record<string, { deploy?: { labels?: unknown } }>;
      secrets?: Record<string, unknown>;
    } | null;
    for (const [name, svc] of Object.entries(doc?.services ?? {})) {
      services.add(name);
      if (JSON.stringify(svc?.deploy?.labels ?? '').includes('backupbot.backup')) hasBackupLabels = true;
    }
    for (const name of Object.keys(doc?.secrets ?? {})) secrets.add(name);
  }
  return { services: [...services], secrets: [...secrets], hasBackupLabels };
}

/** `<stack>_<secret>_<version>` for each secret, with versions from the app .env (default v1). */
export function secretNames(stack: string, secrets: string[], env: Record<string, string>): string[] {
  return secrets.map((s) => `${stack}_${s}_${secretVersion(s, env)}`);
}

/** A secret's version, as the app .env sets it (`SECRET_<NAME>_VERSION`), else v1. */
export function secretVersion(secret: string, env: Record<string, string>): string {
  return env[`SECRET_${secret.toUpperCase()}_VERSION`] ?? 'v1';
}
