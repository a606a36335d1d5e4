// Compose handling: which files (COMPOSE_FILE), the interpolation environment, the merged
// config as `docker stack config` renders it, and the raw top-level secrets.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { App } from './app.js';
import { parseAbraSh } from './envfile.js';
import { cleanEnv, docker } from './exec.js';
import { fail } from './log.js';

export interface ServiceConfig {
  image?: string;
  ports?: PortConfig[];
  deploy?: { labels?: Record<string, string>; endpoint_mode?: string };
  healthcheck?: unknown;
}

export interface PortConfig {
  mode?: string;
  target?: number;
  published?: number | string;
  protocol?: string;
}

export interface StackConfig {
  services?: Record<string, ServiceConfig>;
}

/** COMPOSE_FILE from the .env, `:`-separated (A.2 [U] for the separator), default compose.yml. */
export function composeFiles(app: App): string[] {
  const list = (app.env['COMPOSE_FILE'] ?? '')
    .split(':')
    .map((f) => f.trim())
    .filter((f) => f !== '');
  const files = (list.length > 0 ? list : ['compose.yml']).map((f) => join(app.recipeDir, f));
  for (const f of files) if (!existsSync(f)) fail(`${f} does not exist`);
  return files;
}

/** The .env's variables, overridden by abra.sh `export`s, plus STACK_NAME and DOMAIN. */
export function interpolationEnv(app: App): Record<string, string> {
  const abraSh = join(app.recipeDir, 'abra.sh');
  const exports = existsSync(abraSh) ? parseAbraSh(readFileSync(abraSh, 'utf8')) : {};
  return { ...app.env, ...exports, STACK_NAME: app.stack, DOMAIN: app.env['DOMAIN'] ?? app.domain };
}

/** `-c f1 -c f2 …` for docker stack config/deploy. */
export function composeArgs(files: string[]): string[] {
  return files.flatMap((f) => ['-c', f]);
}

/** Merged and interpolated config, rendered by the docker client itself. */
export async function stackConfig(files: string[], env: Record<string, string>): Promise<StackConfig> {
  const res = await docker(['stack', 'config', ...composeArgs(files)], { env: cleanEnv(env) });
  return (parse(res.stdout) ?? {}) as StackConfig;
}

export interface RawSecret {
  /** the key under top-level `secrets:` */
  id: string;
  /** its `name:` before interpolation */
  name: string;
}

/** Top-level secrets of all files, uninterpolated; later files win. */
export function rawSecrets(files: string[]): RawSecret[] {
  const merged = new Map<string, string>();
  for (const f of files) {
    const doc = (parse(readFileSync(f, 'utf8')) ?? {}) as { secrets?: Record<string, { name?: string } | null> };
    for (const [id, def] of Object.entries(doc.secrets ?? {})) {
      if (def?.name !== undefined) merged.set(id, def.name);
    }
  }
  return [...merged].map(([id, name]) => ({ id, name }));
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The secrets abra manages: named `${STACK_NAME}_<id>_${SECRET_<ID>_VERSION}`. */
export function managedSecrets(files: string[]): string[] {
  return rawSecrets(files)
    .filter((s) => {
      const envKey = `SECRET_${s.id.toUpperCase()}_VERSION`;
      const re = new RegExp(`^\\$\\{?STACK_NAME\\}?_${escape(s.id)}_\\$\\{?${escape(envKey)}\\}?$`);
      return re.test(s.name);
    })
    .map((s) => s.id);
}
