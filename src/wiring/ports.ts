// The composition root's one place where each port is made from the config: Docker, abra, the
// forge, the run store, the executor, the clock, the browser, the lease and the janitor. The
// commands (./run.ts, ./serve.ts, ./janitor.ts, ./doctor.ts) and the demo take their ports from
// here; nothing else in src/ builds a port.
import { join } from 'node:path';
import { createAbraCli, type Abra } from '../abra/abra.js';
import { createAbraProbe, type AbraProbe } from '../abra/abra-help.js';
import { runJanitor, type JanitorReport } from '../apps/janitor.js';
import { Lease } from '../apps/lease.js';
import { botBackupRepo, type PrunableRepo } from '../backupbot/backup-repo.js';
import type { Config } from '../config/load-config.js';
import { connectDocker, SwarmDocker } from '../docker/docker.js';
import { chromiumPath } from '../browser/chromium.js';
import { probeChromium, type ChromiumAnswer } from '../browser/probe.js';
import { createDockerProbe, type DockerProbe } from '../docker/host-probe.js';
import { dockerImages, type ImageHost } from '../docker/images.js';
import type { SwarmApi } from '../docker/swarm-api.js';
import type { Executor } from '../executors/executor.js';
import { createExecutor } from '../executors/registry.js';
import type { Forge } from '../forge/forge.js';
import { createForge, type ForgeType } from '../forge/registry.js';
import type { ForgeClientOptions } from '../forge/types.js';
import type { Logger } from '../log/create-logger.js';
import { systemClock, type Clock } from '../model/clock.js';
import type { RunStore } from '../queue/store.js';
import { createDiskUse, type DiskUse } from '../server/disk-use.js';

export function clockPort(): Clock {
  return systemClock;
}

export function dockerPort(config: Config): SwarmApi {
  return new SwarmDocker(connectDocker(config.swarm.dockerHost));
}

/** The host's images, for image retention (`cc-ci store prune`). */
export function imagesPort(config: Config): ImageHost {
  return dockerImages(connectDocker(config.swarm.dockerHost));
}

export function dockerProbePort(config: Config): DockerProbe {
  return createDockerProbe(config.swarm.dockerHost);
}

/** The store's and Docker's disk use; Docker's data root is asked of the engine at each sample. */
export function diskUsePort(config: Config): DiskUse {
  return createDiskUse({
    storeDir: config.store,
    dockerHost: config.swarm.dockerHost,
    // Made when asked: an engine that is not on this machine is never asked (disk-use.ts).
    dockerRoot: async () => (await dockerProbePort(config).engine()).rootDir,
  });
}

/** abra on the config's server; the shared ABRA_DIR unless a run's own is given. */
export function abraPort(config: Config, opts: { abraDir?: string; onLine?: (line: string) => void } = {}): Abra {
  const { swarm } = config;
  return createAbraCli({
    binary: swarm.abra,
    abraDir: opts.abraDir ?? swarm.abraDir,
    server: swarm.server,
    dockerHost: swarm.dockerHost,
    onLine: opts.onLine,
  });
}

/** abra asked about itself (--version, --help): the doctor and serve's start-up check. */
export function abraProbePort(config: Config): AbraProbe {
  const { swarm } = config;
  return createAbraProbe({ binary: swarm.abra, abraDir: swarm.abraDir, dockerHost: swarm.dockerHost });
}

/** The backup bot's restic repository; `waitMs: 0` reports a locked one instead of waiting it out. */
export function backupsPort(docker: SwarmApi, lockWait: { waitMs?: number } = {}): PrunableRepo {
  return botBackupRepo(docker, lockWait);
}

/**
 * The configured forge with the bot's token (forge.type picks the implementation in
 * forge/registry.ts); none without a forge section or a token.
 */
export function forgePort(config: Config, opts: Omit<ForgeClientOptions, 'url' | 'token'> = {}): Forge | undefined {
  const token = config.secrets.forgeToken;
  if (!config.forge || !token) return undefined;
  return createForge(config.forge.type, { ...opts, url: config.forge.url, token });
}

/** A forge as another account (the demo's maintainer, who comments `!testme`). */
export function forgeAs(type: ForgeType, opts: ForgeClientOptions): Forge {
  return createForge(type, opts);
}

/** The run store (SQLite); loaded on demand, so `cc-ci run` never loads the database driver. */
export async function openStore(config: Config): Promise<RunStore> {
  const { RunStore } = await import('../queue/store.js');
  return new RunStore(join(config.store, 'cc-ci.db'));
}

/** The executor runner.executor names (executors/registry.ts); refuses one not built yet. */
export function executorPort(config: Config, log: Logger, clock: Clock): Executor {
  return createExecutor({ config, log, clock });
}

/** A run's lease in the store: its claim on its apps, against the janitor. */
export function leasePort(config: Config, runId: string, opts: { onError: (m: string) => void; clock: Clock }): Lease {
  return new Lease(config.store, runId, opts);
}

/** The janitor over the config's swarm and store. */
export type Janitor = (opts: { maxAgeMs: number; only?: readonly string[] }) => Promise<JanitorReport>;

export interface JanitorPorts {
  abra: Abra;
  docker: SwarmApi;
  clock: Clock;
  log: (line: string) => void;
}

export function janitorPort(config: Config, ports: JanitorPorts): Janitor {
  return ({ maxAgeMs, only }) =>
    runJanitor({
      abra: ports.abra,
      docker: ports.docker,
      store: config.store,
      maxAgeMs,
      swarmDomain: config.swarm.domain,
      only,
      serverDir: join(config.swarm.abraDir, 'servers', config.swarm.server),
      log: ports.log,
      clock: ports.clock,
    });
}

/**
 * The browser: the Chromium adapter of src/browser/ (the checks, the card and the demo launch it
 * through launchChromium; the doctor's probe goes through here).
 */
export interface BrowserPort {
  executablePath: string;
  probe(): Promise<ChromiumAnswer>;
}

export function browserPort(): BrowserPort {
  return { executablePath: chromiumPath, probe: () => probeChromium(chromiumPath) };
}
