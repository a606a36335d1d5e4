// `cc-ci host reconcile`: the host a run needs, as code (src/host/). Builds the desired state from
// the config and the flags, hands the steps their ports, prints one line a step.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHostAbra } from '../abra/host-abra.js';
import { loadConfigAsync } from '../config/load-config.js';
import { connectDocker, SwarmDocker } from '../docker/docker.js';
import { createHostDocker } from '../docker/host-docker.js';
import { desiredHost, profiles, type Install, type Profile } from '../host/desired.js';
import { reconcileHost } from '../host/reconcile.js';
import { hostRoles, type HostRole } from '../host/units.js';
import { createHostSystem } from '../host/system.js';
import { CcciError } from '../model/errors.js';
import type { SecretRegistry } from '../secrets/secret-registry.js';

export interface HostReconcileFlags {
  check?: boolean;
  selfSigned?: boolean;
  selfSignedName?: string[];
  profile?: string;
  role?: string;
  unitsDir?: string;
  config?: string;
}

/** How long traefik or the bot may take to converge after a deploy. */
const CONVERGE_MS = 180_000;

export async function hostReconcileCommand(
  flags: HostReconcileFlags,
  secrets: SecretRegistry,
  say: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<number> {
  const role = flags.role ?? 'all';
  if (!(hostRoles as readonly string[]).includes(role))
    throw new CcciError('USAGE', `--role: expected all, runner or control, got ${JSON.stringify(role)}`);
  const profile = flags.profile ?? 'debian';
  if (!(profiles as readonly string[]).includes(profile))
    throw new CcciError('USAGE', `--profile: expected one of ${profiles.join(', ')}, got ${JSON.stringify(profile)}`);
  const names = flags.selfSignedName ?? [];
  const badName = names.find((n) => !/^(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(n));
  if (badName !== undefined)
    throw new CcciError(
      'USAGE',
      `--self-signed-name: expected a DNS name like *.lane.ci.test, got ${JSON.stringify(badName)}`,
    );
  if (names.length > 0 && flags.selfSigned !== true)
    throw new CcciError(
      'USAGE',
      '--self-signed-name names what the --self-signed certificate covers: give --self-signed too',
    );
  // --self-signed makes the CA swarm.ingressCa names, so it need not exist yet
  const config = await loadConfigAsync({ path: flags.config, secrets, ingressCaMayBeMade: flags.selfSigned === true });
  if (role === 'runner' && !config.host.droneRunner)
    throw new CcciError(
      'CONFIG_INVALID',
      '--role runner sets up the Drone exec runner that takes cc-ci builds here: configure host.droneRunner ' +
        '(rpcUrl, rpcSecretFile, capacity) in the config (docs/drone.md)',
    );
  const desired = desiredHost(
    config,
    {
      check: flags.check === true,
      selfSigned: flags.selfSigned === true,
      ...(names.length > 0 ? { selfSignedNames: names } : {}),
      profile: profile as Profile,
      role: role as HostRole,
      ...(flags.unitsDir ? { unitsDir: resolve(flags.unitsDir) } : {}),
    },
    install(),
  );
  const api = connectDocker(config.swarm.dockerHost);
  const ports = {
    docker: createHostDocker(api),
    swarm: new SwarmDocker(api),
    abra: createHostAbra({
      binary: config.swarm.abra,
      abraDir: config.swarm.abraDir,
      dockerHost: config.swarm.dockerHost,
    }),
    system: createHostSystem(),
    now: () => new Date(),
    convergeMs: CONVERGE_MS,
  };
  say(
    `cc-ci host ${desired.check ? 'reconcile --check' : 'reconcile'}: ${config.path} ` +
      `(profile ${profile}, role ${role})`,
  );
  const report = await reconcileHost(desired, ports, (line) => say(secrets.redact(line)));
  return report.exitCode;
}

/** This cc-ci: the Node binary, its entry point, and its package folder. */
function install(): Install {
  const here = dirname(fileURLToPath(import.meta.url));
  let root = here;
  while (!existsSync(join(root, 'package.json')) && dirname(root) !== root) root = dirname(root);
  const js = join(here, '..', 'cli.js');
  return { node: process.execPath, cli: existsSync(js) ? js : join(here, '..', 'cli.ts'), root };
}
