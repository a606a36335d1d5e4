// `cc-ci doctor`: the host against the config. The list of checks, in the order they are printed;
// each is built from the config and the probes src/wiring/ hands in (abra, Docker and Chromium
// through src/abra/ and src/docker/; the forge through src/forge/), so a test can hand in fakes.
import type { Config } from '../config/load-config.js';
import type { ForgeClient, User } from '../forge/types.js';
import type { AbraCall } from '../abra/abra-calls.js';
import type { AbraProbe } from '../abra/abra-help.js';
import { testAppPattern } from '../model/app-name.js';
import type { BackupRepo } from '../backupbot/backup-repo.js';
import type { ChromiumAnswer } from '../browser/probe.js';
import type { DockerProbe } from '../docker/host-probe.js';
import type { Check } from './check.js';
import { checkAbraCommands, checkAbraVersion } from './abra-checks.js';
import { checkBackupBot, checkBackupRepo, checkEngine, checkProxyNetwork, checkSwarm } from './docker-checks.js';
import {
  checkForgeLogin,
  checkForgeOrg,
  checkForgeOrgRepos,
  checkForgeRepos,
  checkForgeToken,
} from './forge-checks.js';
import { checkAbraServer, checkChromium, checkIngress, checkIngressCertificate, checkStore } from './host-checks.js';
import { checkSecretLengths } from './secret-checks.js';

export interface DoctorDeps {
  abra: AbraProbe;
  abraCalls: readonly AbraCall[];
  docker: DockerProbe;
  chromium: () => Promise<ChromiumAnswer>;
  /** The backup bot's restic repository. */
  backups: BackupRepo;
  /** Only with a forge section and a token. */
  forge?: ForgeClient;
}

export function doctorChecks(config: Config, deps: DoctorDeps): Check[] {
  const { swarm } = config;
  const checks: Check[] = [
    { name: 'abra', run: () => checkAbraVersion(deps.abra, swarm.abra) },
    {
      name: 'abra commands',
      needs: 'abra',
      timeoutMs: 45_000,
      run: () => checkAbraCommands(deps.abra, deps.abraCalls),
    },
    { name: 'abra server', run: () => checkAbraServer(swarm.abraDir, swarm.server) },
    { name: 'docker', run: () => checkEngine(deps.docker, swarm.dockerHost) },
    { name: 'swarm', needs: 'docker', run: () => checkSwarm(deps.docker) },
    { name: 'proxy network', needs: 'swarm', run: () => checkProxyNetwork(deps.docker) },
    { name: 'backup-bot-two', needs: 'swarm', run: () => checkBackupBot(deps.docker) },
    {
      name: 'backup repository',
      needs: 'backup-bot-two',
      timeoutMs: 60_000,
      run: () => checkBackupRepo(deps.backups, (s) => testAppPattern(swarm.domain).stack.test(s)),
    },
    { name: 'ingress', run: () => checkIngress(swarm.ingress) },
    {
      name: 'ingress certificate',
      needs: 'ingress',
      run: () => checkIngressCertificate(swarm),
    },
    { name: 'store', run: () => checkStore(config.store) },
    { name: 'chromium', timeoutMs: 30_000, run: () => checkChromium(deps.chromium) },
    { name: 'secrets', run: () => checkSecretLengths(config) },
  ];
  const forgeConfig = config.forge;
  if (forgeConfig) {
    const token = config.secrets.forgeToken;
    const tokenSource = forgeConfig.tokenFile
      ? `forge.tokenFile ${forgeConfig.tokenFile}`
      : (config.secretOrigins?.forgeToken ?? 'CCCI_FORGE_TOKEN');
    checks.push({ name: 'forge token', run: () => checkForgeToken(token, tokenSource) });
    // Without a token these are listed as skipped; with one, the caller hands in the client.
    const forge = (): ForgeClient => {
      if (!deps.forge) throw new Error('no forge client');
      return deps.forge;
    };
    // One GET /user for the three checks that need the bot's login.
    let me: Promise<User> | undefined;
    const whoAmI = () => (me ??= forge().whoAmI());
    checks.push(
      { name: 'forge login', needs: 'forge token', run: () => checkForgeLogin(whoAmI, forgeConfig.url) },
      {
        name: 'forge org',
        needs: 'forge login',
        run: () => checkForgeOrg(forge(), whoAmI, forgeConfig.org, forgeConfig.allowlist),
      },
      { name: 'forge repos', needs: 'forge login', run: () => checkForgeRepos(forge(), forgeConfig.repos) },
    );
    if (forgeConfig.repoOrgs.length > 0)
      checks.push({
        name: 'forge org repos',
        needs: 'forge login',
        run: () => checkForgeOrgRepos(forge(), forgeConfig.repoOrgs),
      });
  }
  return checks;
}
