// Where each operator secret comes from, first match wins (docs/secrets.md):
//   1. the config key (a file; a name ending `.age` is decrypted with secrets.ageIdentityFile),
//   2. a systemd credential: `$CREDENTIALS_DIRECTORY/<credential>` (LoadCredential=<credential>:…),
//   3. the environment variable.
// The config key wins because it is the one place that names a file on purpose; the environment
// is inherited by whatever starts cc-ci, so it comes last.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isAgeFile } from './age-file.js';

export interface SecretSpec {
  /** The config key, as errors name it. */
  key: string;
  envName: string;
  credential: string;
}

export const secretSpecs = {
  forgeToken: { key: 'forge.tokenFile', envName: 'CCCI_FORGE_TOKEN', credential: 'forge_token' },
  webhookSecret: { key: 'forge.webhookSecretFile', envName: 'CCCI_WEBHOOK_SECRET', credential: 'webhook_secret' },
  adminToken: { key: 'dashboard.adminTokenFile', envName: 'CCCI_ADMIN_TOKEN', credential: 'admin_token' },
  alertWebhookSecret: {
    key: 'alerts.webhook.secretFile',
    envName: 'CCCI_ALERT_WEBHOOK_SECRET',
    credential: 'alert_webhook_secret',
  },
  alertOperatorSecret: {
    key: 'alerts.operator.secretFile',
    envName: 'CCCI_ALERT_OPERATOR_SECRET',
    credential: 'alert_operator_secret',
  },
  droneToken: { key: 'runner.drone.tokenFile', envName: 'CCCI_DRONE_TOKEN', credential: 'drone_token' },
  // On a runner host the Drone step hands it over as CCCI_INGEST_SECRET (the Drone secret ccci_ingest_secret).
  ingestSecret: {
    key: 'runner.drone.ingestSecretFile',
    envName: 'CCCI_INGEST_SECRET',
    credential: 'ingest_secret',
  },
} as const satisfies Record<string, SecretSpec>;

/** The credential that holds the age identity when `secrets.ageIdentityFile` is not set. */
export const AGE_IDENTITY_CREDENTIAL = 'age_identity';

export type SecretSource =
  | { kind: 'file'; path: string; origin: string }
  | { kind: 'age'; path: string; origin: string }
  | { kind: 'env'; value: string; origin: string };

/** The systemd credential file called `name`, when the service manager handed one over. */
export function credentialFile(name: string, env: NodeJS.ProcessEnv): string | undefined {
  const dir = env.CREDENTIALS_DIRECTORY;
  if (!dir) return undefined;
  const path = join(dir, name);
  return existsSync(path) ? path : undefined;
}

export function locateSecret(
  spec: SecretSpec,
  configured: string | undefined,
  at: (p: string) => string,
  env: NodeJS.ProcessEnv,
): SecretSource | undefined {
  if (configured) {
    const path = at(configured);
    return { kind: isAgeFile(path) ? 'age' : 'file', path, origin: spec.key };
  }
  const credential = credentialFile(spec.credential, env);
  if (credential) return { kind: 'file', path: credential, origin: `credential ${spec.credential}` };
  const value = env[spec.envName]?.trim();
  return value ? { kind: 'env', value, origin: spec.envName } : undefined;
}
