// Removes an app and everything of its stack, then checks that nothing is left (DESIGN §4.8).
// abra is asked first (undeploy, rm); Docker is then swept by the stack label and by name prefix,
// because `stack rm` keeps volumes and unlabelled secrets, and a volume cannot go while a
// container of the stack still holds it. Last, the app's snapshots are forgotten in the backup
// bot's repository, when asked (the app was backed up, or the janitor cannot know).
import { existsSync, rmSync } from 'node:fs';
import { errorMessage } from '../model/errors.js';
import type { Abra } from '../abra/abra.js';
import { forgetStackSnapshots, type BackupRepo } from '../backupbot/backup-repo.js';
import type { StackResources } from '../docker/swarm-api.js';
import type { SwarmApi } from '../docker/swarm-api.js';

export interface TeardownOptions {
  abra: Abra;
  docker: SwarmApi;
  domain: string;
  stack: string;
  log: (line: string) => void;
  /** How long to wait for the swarm to let go of containers and networks. */
  timeoutMs?: number;
  /** The backup repository to forget the app's snapshots in; none when the app was never backed up. */
  backups?: BackupRepo;
}

export interface TeardownResult {
  /** Empty when nothing of the stack is left; otherwise "volume x", "service y", … */
  left: string[];
  /** Short ids of the backup snapshots forgotten. */
  forgottenSnapshots: string[];
  durationMs: number;
}

export async function teardownApp(opts: TeardownOptions): Promise<TeardownResult> {
  const started = Date.now();
  const { abra, docker, domain, stack, log } = opts;
  const envFile = abra.envFile(domain);
  const deadline = started + (opts.timeoutMs ?? 120_000);
  if (existsSync(envFile))
    await attempt(log, `abra app undeploy ${domain}`, () => abra.undeploy(domain, { timeoutMs: 120_000 }));
  let left = await docker.resources(stack);
  if (left.services.length > 0) await docker.removeServices(left.services);
  // Wait for the swarm to remove tasks, containers and networks before volumes can go.
  while (Date.now() < deadline) {
    left = await docker.resources(stack);
    if (left.services.length + left.containers.length === 0) break;
    await sleep(100);
  }
  if (left.containers.length > 0) await docker.removeContainers(left.containers);
  if (existsSync(envFile))
    await attempt(log, `abra app rm ${domain}`, () => abra.remove(domain, { timeoutMs: 120_000 }));
  // A volume can still be "in use" for a moment after its container is gone: retry until the deadline.
  left = await docker.resources(stack);
  for (let i = 0; i < 20 && count(left) > 0 && Date.now() < deadline; i++) {
    if (i > 0) await sleep(250);
    await Promise.allSettled([
      docker.removeVolumes(left.volumes),
      docker.removeSecrets(left.secrets),
      docker.removeConfigs(left.configs),
      docker.removeNetworks(left.networks),
    ]);
    left = await docker.resources(stack);
  }
  rmSync(envFile, { force: true });
  const leftover = describe(left);
  if (existsSync(envFile)) leftover.push(`env file ${envFile}`);
  const snapshots = opts.backups ? await forgetStackSnapshots(opts.backups, stack) : { forgotten: [], left: [] };
  leftover.push(...snapshots.left);
  return { left: leftover, forgottenSnapshots: snapshots.forgotten, durationMs: Date.now() - started };
}

async function attempt(log: (line: string) => void, what: string, op: () => Promise<void>): Promise<void> {
  try {
    await op();
  } catch (err) {
    // The Docker sweep below removes what abra could not; the final check decides.
    log(`${what} failed, continuing with Docker: ${errorMessage(err)}`);
  }
}

function count(r: StackResources): number {
  return Object.values(r).reduce((n, list: string[]) => n + list.length, 0);
}

function describe(r: StackResources): string[] {
  const kinds: Array<[keyof StackResources, string]> = [
    ['services', 'service'],
    ['containers', 'container'],
    ['volumes', 'volume'],
    ['secrets', 'secret'],
    ['configs', 'config'],
    ['networks', 'network'],
  ];
  return kinds.flatMap(([key, noun]) => r[key].map((name) => `${noun} ${name}`));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
