// Reads cc-ci.yml once, validates it, resolves relative paths against the file's folder, reads
// the secret files, registers every secret for masking, and returns a frozen Config.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { configSchema, type ConfigFile } from './schema.js';
import { CcciError, errorMessage } from '../model/errors.js';
import type { SecretRegistry } from '../secrets/secret-registry.js';

export interface Secrets {
  forgeToken?: string;
  webhookSecret?: string;
  adminToken?: string;
}

export type Config = ConfigFile & {
  path: string;
  recipesDir: string;
  swarm: ConfigFile['swarm'] & { abraDir: string };
  secrets: Secrets;
};

export interface LoadConfigOptions {
  path?: string;
  env?: NodeJS.ProcessEnv;
  secrets: SecretRegistry;
  /** Load an admin token or webhook secret that is too short instead of refusing it (cc-ci doctor reports it). */
  allowWeakSecrets?: boolean;
}

/** The admin token and the webhook secret are guessed against cc-ci itself: they must be long. */
export const MIN_GUESSABLE_SECRET_LENGTH = 24;

/**
 * Why each secret that can be guessed through cc-ci's HTTP routes is too short (none: they are
 * fine). The forge token is the forge's to judge.
 */
export function weakSecretProblems(config: Pick<Config, 'secrets' | 'dashboard' | 'forge'>): string[] {
  const problems: string[] = [];
  const check = (value: string | undefined, source: string) => {
    if (value !== undefined && value.length < MIN_GUESSABLE_SECRET_LENGTH) {
      problems.push(
        `${source}: the secret is ${value.length} characters long; use at least ${MIN_GUESSABLE_SECRET_LENGTH} ` +
          '(make one with `openssl rand -hex 32`)',
      );
    }
  };
  check(config.secrets.adminToken, config.dashboard.adminTokenFile ? 'dashboard.adminTokenFile' : 'CCCI_ADMIN_TOKEN');
  check(
    config.secrets.webhookSecret,
    config.forge?.webhookSecretFile ? 'forge.webhookSecretFile' : 'CCCI_WEBHOOK_SECRET',
  );
  return problems;
}

export function loadConfig({ path, env = process.env, secrets, allowWeakSecrets }: LoadConfigOptions): Config {
  const file = path ?? env.CCCI_CONFIG;
  if (!file)
    throw new CcciError(
      'CONFIG_INVALID',
      'no config file: pass --config <file> or set CCCI_CONFIG (see docs/install.md)',
    );
  const configPath = resolve(file);
  const raw = readText(configPath, 'config file');
  // Plain YAML only: an unknown tag (e.g. !!js/function) is an error here, not a warning.
  const parsedDoc = parseDocument(raw, { schema: 'core', strict: true, uniqueKeys: true });
  const problem = parsedDoc.errors[0] ?? parsedDoc.warnings[0];
  if (problem)
    throw new CcciError('CONFIG_INVALID', `${configPath}: not valid YAML: ${problem.message.split('\n')[0]}`);
  const doc: unknown = yamlToJs(() => parsedDoc.toJS({ maxAliasCount: 50 }), configPath);
  const parsed = configSchema.safeParse(doc ?? {});
  if (!parsed.success) throw new CcciError('CONFIG_INVALID', `${configPath}: ${describeIssues(parsed.error.issues)}`);
  const base = dirname(configPath);
  const at = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const c = parsed.data;
  const loaded: Config = {
    ...c,
    path: configPath,
    store: at(c.store),
    recipesDir: c.recipesDir ? at(c.recipesDir) : fileURLToPath(new URL('../../../recipes', import.meta.url)),
    swarm: {
      ...c.swarm,
      abra: c.swarm.abra.includes('/') ? at(c.swarm.abra) : c.swarm.abra,
      abraDir: at(c.swarm.abraDir ?? env.ABRA_DIR ?? resolve(homedir(), '.abra')),
    },
    secrets: {
      forgeToken: readSecret(c.forge?.tokenFile, 'CCCI_FORGE_TOKEN', 'forge.tokenFile', at, env),
      webhookSecret: readSecret(c.forge?.webhookSecretFile, 'CCCI_WEBHOOK_SECRET', 'forge.webhookSecretFile', at, env),
      adminToken: readSecret(c.dashboard.adminTokenFile, 'CCCI_ADMIN_TOKEN', 'dashboard.adminTokenFile', at, env),
    },
  };
  for (const value of Object.values(loaded.secrets)) if (value) secrets.add(value);
  const weak = weakSecretProblems(loaded);
  if (weak.length > 0 && !allowWeakSecrets) throw new CcciError('CONFIG_INVALID', weak.join('; '));
  return deepFreeze(loaded);
}

/** A document that expands too many aliases (a YAML bomb) is refused like any other bad config. */
function yamlToJs(convert: () => unknown, file: string): unknown {
  try {
    return convert();
  } catch (err) {
    throw new CcciError('CONFIG_INVALID', `${file}: not valid YAML: ${errorMessage(err)}`);
  }
}

function readSecret(
  file: string | undefined,
  envName: string,
  key: string,
  at: (p: string) => string,
  env: NodeJS.ProcessEnv,
): string | undefined {
  if (file) {
    const value = readText(at(file), key).trim();
    if (!value) throw new CcciError('CONFIG_INVALID', `${key}: ${at(file)} is empty`);
    return value;
  }
  const fromEnv = env[envName]?.trim();
  return fromEnv ? fromEnv : undefined;
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CcciError('CONFIG_INVALID', `${what}: cannot read ${path} (${code ?? errorMessage(err)})`);
  }
}

function describeIssues(issues: z.core.$ZodIssue[]): string {
  return issues.map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`).join('; ');
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
