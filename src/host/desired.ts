// What a cc-ci host should look like, worked out from the config and the command line: one plain
// value the steps compare the host with. Nothing here looks at the host.
import { basename, dirname, join } from 'node:path';
import type { Config } from '../config/load-config.js';
import { stackName } from '../model/app-name.js';
import type { TlsFiles } from './self-signed.js';
import type { HostRole } from './units.js';

export const profiles = ['debian', 'testbed', 'nixos'] as const;
export type Profile = (typeof profiles)[number];

export interface HostFlags {
  check: boolean;
  selfSigned: boolean;
  /** More names the --self-signed certificate covers besides *.<swarm.domain> and <swarm.domain>. */
  selfSignedNames?: string[];
  profile: Profile;
  /** Which part of cc-ci this host carries: all of it, a runner host, or the host of serve. */
  role: HostRole;
  /** Where the units go instead of host.unitsDir or /etc/systemd/system. */
  unitsDir?: string;
}

/** Where cc-ci itself is: what the units start, and (testbed) the stand-ins beside it. */
export interface Install {
  node: string;
  cli: string;
  /** cc-ci's package folder (holds testbed/ in a checkout). */
  root: string;
}

export interface HostDesired extends HostFlags {
  config: Config;
  install: Install;
  /** The certificate traefik serves, undefined when none is configured and --self-signed is not given. */
  tls: TlsFiles | undefined;
  traefik: { domain: string; stack: string; recipeSource?: string };
  backup:
    | { kind: 'abra'; domain: string; stack: string; repository: string; passwordFile: string }
    | { kind: 'testbed'; stack: string; composeFile: string }
    | undefined;
  /**
   * Reconcile's own notes: the hash of each certificate it inserted as a secret, and its version.
   * Beside abra's state, which it describes (every config sharing swarm.abraDir shares it).
   */
  stateFile: string;
  unitsDir: string;
}

export const STORE_MODE = 0o750;
export const TRAEFIK_RECIPE = 'traefik';
export const BACKUPBOT_RECIPE = 'backup-bot-two';
/** The testbed's stand-in bot is its own stack (testbed/backupbot/compose.yml), not a recipe. */
export const TESTBED_BACKUP_STACK = 'backups';

export function desiredHost(config: Config, flags: HostFlags, install: Install): HostDesired {
  const traefikDomain = `traefik.${config.swarm.domain}`;
  const backupDomain = config.host.backup?.domain ?? `backups.${config.swarm.domain}`;
  return {
    ...flags,
    config,
    install,
    tls: tlsFiles(config, flags.selfSigned),
    traefik: {
      domain: traefikDomain,
      stack: stackName(traefikDomain),
      ...(flags.profile === 'testbed'
        ? { recipeSource: join(install.root, 'testbed', 'recipes', TRAEFIK_RECIPE) }
        : {}),
    },
    backup:
      flags.profile === 'testbed'
        ? {
            kind: 'testbed',
            stack: TESTBED_BACKUP_STACK,
            composeFile: join(install.root, 'testbed', 'backupbot', 'compose.yml'),
          }
        : config.host.backup
          ? {
              kind: 'abra',
              domain: backupDomain,
              stack: stackName(backupDomain),
              repository: config.host.backup.repository,
              passwordFile: config.host.backup.passwordFile,
            }
          : undefined,
    stateFile: join(config.swarm.abraDir, 'cc-ci', 'host-state.json'),
    unitsDir: flags.unitsDir ?? config.host.unitsDir ?? '/etc/systemd/system',
  };
}

/**
 * The certificate files: the configured ones; with --self-signed, a default folder under the
 * store (<store>/tls/) for what is not configured (the CA where swarm.ingressCa points, else
 * beside host.certFile; its key beside it).
 */
export function tlsFiles(config: Config, selfSigned: boolean): TlsFiles | undefined {
  const { certFile, keyFile } = config.host;
  if (!selfSigned) {
    if (!certFile || !keyFile) return undefined;
    return { certFile, keyFile, caFile: config.swarm.ingressCa ?? '', caKeyFile: '' };
  }
  const dir = join(config.store, 'tls');
  // The CA beside the certificate when only the certificate's place is configured.
  const caFile = config.swarm.ingressCa ?? join(certFile ? dirname(certFile) : dir, 'ca.pem');
  return {
    certFile: certFile ?? join(dir, 'wildcard.pem'),
    keyFile: keyFile ?? join(dir, 'wildcard-key.pem'),
    caFile,
    // ca.pem's key is ca-key.pem beside it
    caKeyFile: join(dirname(caFile), `${basename(caFile).replace(/\.(pem|crt)$/, '')}-key.pem`),
  };
}
