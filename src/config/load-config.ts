// Reads cc-ci.yml once, validates it, resolves relative paths against the file's folder, reads
// the secrets (files, age-encrypted files, systemd credentials, the environment: secret-sources.ts),
// registers every secret for masking, and returns a frozen Config.
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { configSchema, type ConfigFile } from './schema.js';
import { CcciError, errorMessage } from '../model/errors.js';
import type { SecretRegistry } from '../secrets/secret-registry.js';
import { decryptAgeFile, readAgeIdentities } from './age-file.js';
import {
  AGE_IDENTITY_CREDENTIAL,
  credentialFile,
  locateSecret,
  secretSpecs,
  type SecretSource,
} from './secret-sources.js';

export interface Secrets {
  forgeToken?: string;
  webhookSecret?: string;
  adminToken?: string;
  /** Signs the level alerts' POSTs (alerts.webhook). */
  alertWebhookSecret?: string;
  /** Signs the operator's alerts (alerts.operator). */
  alertOperatorSecret?: string;
  /** Drone's API token (runner.drone.tokenFile). */
  droneToken?: string;
  /** The secret each run's ingest credential is derived from (runner.drone.ingestSecretFile). */
  ingestSecret?: string;
}

export type Config = Omit<ConfigFile, 'secrets'> & {
  path: string;
  recipesDir: string;
  swarm: ConfigFile['swarm'] & {
    abraDir: string;
    /** The PEM text of `swarm.ingressCa` (whose path is absolute here), read once at load. */
    ingressCaPem?: string;
  };
  /** The values (the config's own `secrets:` section only says how to decrypt them). */
  secrets: Secrets;
  /** Where each secret came from (a config key, `credential <name>`, an environment variable), for messages. */
  secretOrigins?: Partial<Record<keyof Secrets, string>>;
};

export interface LoadConfigOptions {
  path?: string;
  env?: NodeJS.ProcessEnv;
  secrets: SecretRegistry;
  /** Load an admin token or webhook secret that is too short instead of refusing it (cc-ci doctor reports it). */
  allowWeakSecrets?: boolean;
  /** A swarm.ingressCa that does not exist yet is no error (`host reconcile --self-signed` makes it). */
  ingressCaMayBeMade?: boolean;
}

/** The admin token, the webhook secret and the ingest secret are guessed against cc-ci itself: they must be long. */
export const MIN_GUESSABLE_SECRET_LENGTH = 24;

/**
 * Why each secret that can be guessed through cc-ci's HTTP routes is too short (none: they are
 * fine). The forge token is the forge's to judge.
 */
export function weakSecretProblems(
  config: Pick<Config, 'secrets' | 'dashboard' | 'forge' | 'secretOrigins'> & { runner?: Config['runner'] },
): string[] {
  const problems: string[] = [];
  const check = (value: string | undefined, source: string) => {
    if (value !== undefined && value.length < MIN_GUESSABLE_SECRET_LENGTH) {
      problems.push(
        `${source}: the secret is ${value.length} characters long; use at least ${MIN_GUESSABLE_SECRET_LENGTH} ` +
          '(make one with `openssl rand -hex 32`)',
      );
    }
  };
  const origins = config.secretOrigins ?? {};
  check(
    config.secrets.adminToken,
    origins.adminToken ?? (config.dashboard.adminTokenFile ? 'dashboard.adminTokenFile' : 'CCCI_ADMIN_TOKEN'),
  );
  check(
    config.secrets.ingestSecret,
    origins.ingestSecret ??
      (config.runner?.drone?.ingestSecretFile ? 'runner.drone.ingestSecretFile' : 'CCCI_INGEST_SECRET'),
  );
  check(
    config.secrets.webhookSecret,
    origins.webhookSecret ?? (config.forge?.webhookSecretFile ? 'forge.webhookSecretFile' : 'CCCI_WEBHOOK_SECRET'),
  );
  return problems;
}

/**
 * Loads the config for a command: every secret source, `.age` files included (their decryption is
 * asynchronous).
 */
export async function loadConfigAsync(options: LoadConfigOptions): Promise<Config> {
  const { c, at } = readConfigFile(options);
  const env = options.env ?? process.env;
  const sources = locateSecrets(c, at, env);
  let identities: { file: string; keys: string[] } | undefined;
  const values: Secrets = {};
  for (const [name, source] of entries(sources)) {
    if (source.kind !== 'age') {
      values[name] = readPlain(source);
      continue;
    }
    identities ??= ageIdentities(c, at, env, source);
    options.secrets.add(identities.keys.join('\n'));
    values[name] = nonEmpty(await decryptAgeFile(source.path, source.origin, identities.keys, identities.file), source);
  }
  return finish(options, c, at, env, values, sources);
}

/**
 * The same without waiting, for callers that cannot (tests, fixtures): a `.age` file is refused
 * here, since only loadConfigAsync decrypts.
 */
export function loadConfig(options: LoadConfigOptions): Config {
  const { c, at } = readConfigFile(options);
  const env = options.env ?? process.env;
  const sources = locateSecrets(c, at, env);
  const values: Secrets = {};
  for (const [name, source] of entries(sources)) {
    if (source.kind === 'age')
      throw new CcciError(
        'CONFIG_INVALID',
        `${source.origin}: ${source.path} is age-encrypted; load it with loadConfigAsync`,
      );
    values[name] = readPlain(source);
  }
  return finish(options, c, at, env, values, sources);
}

type Sources = Partial<Record<keyof Secrets, SecretSource>>;

function readConfigFile({ path, env = process.env }: LoadConfigOptions) {
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
  return { c: { ...parsed.data, path: configPath }, at };
}

type Parsed = ConfigFile & { path: string };

function locateSecrets(c: Parsed, at: (p: string) => string, env: NodeJS.ProcessEnv): Sources {
  return {
    forgeToken: locateSecret(secretSpecs.forgeToken, c.forge?.tokenFile, at, env),
    webhookSecret: locateSecret(secretSpecs.webhookSecret, c.forge?.webhookSecretFile, at, env),
    adminToken: locateSecret(secretSpecs.adminToken, c.dashboard.adminTokenFile, at, env),
    // Read only for an alert target that is configured: a secret with nowhere to go is not loaded.
    alertWebhookSecret: c.alerts.webhook
      ? locateSecret(secretSpecs.alertWebhookSecret, c.alerts.webhook.secretFile, at, env)
      : undefined,
    alertOperatorSecret: c.alerts.operator
      ? locateSecret(secretSpecs.alertOperatorSecret, c.alerts.operator.secretFile, at, env)
      : undefined,
    droneToken: locateSecret(secretSpecs.droneToken, c.runner.drone?.tokenFile, at, env),
    // Also without runner.drone: a runner host's config has none, and its Drone step hands the secret over
    // as CCCI_INGEST_SECRET.
    ingestSecret: locateSecret(secretSpecs.ingestSecret, c.runner.drone?.ingestSecretFile, at, env),
  };
}

function entries(sources: Sources): [keyof Secrets, SecretSource][] {
  return Object.entries(sources).filter((e): e is [keyof Secrets, SecretSource] => e[1] !== undefined);
}

function ageIdentities(c: Parsed, at: (p: string) => string, env: NodeJS.ProcessEnv, needed: SecretSource) {
  const file = c.secrets?.ageIdentityFile
    ? at(c.secrets.ageIdentityFile)
    : credentialFile(AGE_IDENTITY_CREDENTIAL, env);
  if (!file)
    throw new CcciError(
      'CONFIG_INVALID',
      `${needed.origin}: ${'path' in needed ? needed.path : ''} is age-encrypted, but no identity is configured: ` +
        `set secrets.ageIdentityFile to the age identity file it was encrypted to (or hand it over as the ` +
        `systemd credential ${AGE_IDENTITY_CREDENTIAL})`,
    );
  return { file, keys: readAgeIdentities(file) };
}

function readPlain(source: SecretSource): string {
  if (source.kind === 'env') return source.value;
  return nonEmpty(readText(source.path, source.origin), source);
}

function nonEmpty(value: string, source: SecretSource): string {
  const trimmed = value.trim();
  if (!trimmed)
    throw new CcciError('CONFIG_INVALID', `${source.origin}: ${'path' in source ? source.path : ''} is empty`);
  return trimmed;
}

function finish(
  { secrets, allowWeakSecrets, ingressCaMayBeMade }: LoadConfigOptions,
  c: Parsed,
  at: (p: string) => string,
  env: NodeJS.ProcessEnv,
  values: Secrets,
  sources: Sources,
): Config {
  // The config's `secrets:` section (how to decrypt) gives way to the values.
  const { secrets: ageSettings, ...rest } = c;
  void ageSettings;
  const loaded: Config = {
    ...rest,
    store: at(c.store),
    recipesDir: c.recipesDir ? at(c.recipesDir) : fileURLToPath(new URL('../../../recipes', import.meta.url)),
    swarm: {
      ...c.swarm,
      abra: c.swarm.abra.includes('/') ? at(c.swarm.abra) : c.swarm.abra,
      abraDir: at(c.swarm.abraDir ?? env.ABRA_DIR ?? resolve(homedir(), '.abra')),
      ...(c.swarm.ingressCa !== undefined ? readIngressCa(at(c.swarm.ingressCa), ingressCaMayBeMade) : {}),
    },
    host: hostPaths(c.host, at),
    secrets: values,
    secretOrigins: Object.fromEntries(entries(sources).map(([name, source]) => [name, source.origin])),
  };
  for (const value of Object.values(loaded.secrets)) if (value) secrets.add(value);
  const weak = weakSecretProblems(loaded);
  if (weak.length > 0 && !allowWeakSecrets) throw new CcciError('CONFIG_INVALID', weak.join('; '));
  return deepFreeze(loaded);
}

/** swarm.ingressCa: a file of PEM certificates, each of which must parse; anything else is a config error. */
function readIngressCa(path: string, mayBeMade = false): { ingressCa: string; ingressCaPem?: string } {
  if (mayBeMade && !existsSync(path)) return { ingressCa: path };
  const pem = readText(path, 'swarm.ingressCa');
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  const notPem = (why: string) =>
    new CcciError(
      'CONFIG_INVALID',
      `swarm.ingressCa: ${path} ${why}; it must be the PEM certificate of the CA that signed the ingress's ` +
        'certificate (-----BEGIN CERTIFICATE----- …)',
    );
  if (blocks.length === 0) throw notPem('holds no PEM certificate');
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (err) {
      throw notPem(`holds a certificate that does not parse (${errorMessage(err)})`);
    }
  }
  return { ingressCa: path, ingressCaPem: blocks.join('\n') + '\n' };
}

/** The host's files, relative to the config file like every other path. */
function hostPaths(host: ConfigFile['host'], at: (p: string) => string): ConfigFile['host'] {
  return {
    ...host,
    ...(host.certFile ? { certFile: at(host.certFile) } : {}),
    ...(host.keyFile ? { keyFile: at(host.keyFile) } : {}),
    ...(host.unitsDir ? { unitsDir: at(host.unitsDir) } : {}),
    ...(host.backup ? { backup: { ...host.backup, passwordFile: at(host.backup.passwordFile) } } : {}),
  };
}

/** A document that expands too many aliases (a YAML bomb) is refused like any other bad config. */
function yamlToJs(convert: () => unknown, file: string): unknown {
  try {
    return convert();
  } catch (err) {
    throw new CcciError('CONFIG_INVALID', `${file}: not valid YAML: ${errorMessage(err)}`);
  }
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
