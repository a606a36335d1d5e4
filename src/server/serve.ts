// `cc-ci serve`: the store, the queue with its local executor, crash recovery, and the HTTP
// server, wired together. It first checks that abra has every command and flag cc-ci uses
// (src/abra/abra-calls.ts) and refuses to start without them (ABRA_FAILED, exit 3). Pages
// are served before recovery finishes, and whether or not the forge answers; a stop (SIGTERM,
// SIGINT) stops the running runs (they tear down and end `interrupted`) before the server exits.
import { join } from 'node:path';
import { knownRecipes } from '../config/enrolled.js';
import type { Config } from '../config/load-config.js';
import { CcciError, errorMessage } from '../model/errors.js';
import { createExecutor } from '../executors/registry.js';
import { systemClock } from '../model/clock.js';
import { assertAbraUsable } from '../doctor/abra-checks.js';
import { createAbraCli } from '../abra/abra.js';
import { abraCalls } from '../abra/abra-calls.js';
import { createAbraProbe } from '../abra/abra-help.js';
import { connectDocker, SwarmDocker } from '../docker/docker.js';
import { runJanitor } from '../apps/janitor.js';
import type { Logger } from '../log/create-logger.js';
import { recoverRuns } from '../queue/recover.js';
import { Scheduler } from '../queue/scheduler.js';
import type { RunControl } from '../queue/run-control.js';
import { RunStore } from '../queue/store.js';
import type { SecretRegistry } from '../secrets/secret-registry.js';
import { createForgeClient } from '../forge/client.js';
import { ForgeBridge } from '../trigger/bridge.js';
import { Poller } from '../trigger/poller.js';
import { buildServer } from './app.js';
import { createMetrics } from './metrics.js';

export interface Serving {
  url: string;
  /** The runs, for an embedding caller (the demo) that follows them. */
  runs: RunControl;
  /** Resolves when the server has stopped (after a signal or stop()). */
  stopped: Promise<void>;
  stop(reason: string): Promise<void>;
}

export async function serve(config: Config, secrets: SecretRegistry, log: Logger): Promise<Serving> {
  const executor = createExecutor({ config, log, clock: systemClock });
  // Before anything starts: an abra without a command or flag cc-ci passes would fail every run.
  const abraCheck = await assertAbraUsable(
    createAbraProbe({ binary: config.swarm.abra, abraDir: config.swarm.abraDir, dockerHost: config.swarm.dockerHost }), config.swarm.abra, abraCalls);
  log.info({ abra: abraCheck.version }, `abra has every command and flag cc-ci uses: ${abraCheck.version}`);
  for (const line of abraCheck.absentOptional) log.info({ abra: abraCheck.version }, line);
  const store = new RunStore(join(config.store, 'cc-ci.db'));
  const docker = new SwarmDocker(connectDocker(config.swarm.dockerHost));
  const abra = createAbraCli({ binary: config.swarm.abra, abraDir: config.swarm.abraDir, server: config.swarm.server, dockerHost: config.swarm.dockerHost });
  // The janitor at max-age 0 over the apps of runs this server killed or lost; never every
  // orphan, which may belong to another cc-ci on the same swarm. (metrics exists by the time it runs.)
  const janitor = async (only: string[]) => {
    const report = await runJanitor({
      abra, docker, store: config.store, maxAgeMs: 0, swarmDomain: config.swarm.domain, only,
      serverDir: join(config.swarm.abraDir, 'servers', config.swarm.server), log: (line) => log.info({ src: 'janitor' }, line),
    });
    metrics.reaped(report.reaped.length);
  };
  const scheduler = new Scheduler({
    store, config, log, executor,
    reap: (domains) => janitor(domains), teardownBudgetMs: config.runner.teardownBudget,
  });
  const metrics = createMetrics({ store, runs: scheduler });
  const trigger = forgeTrigger(config, store, scheduler, log);
  const app = await buildServer({ config, store, runs: scheduler, secrets, log, metrics, recipes: () => knownRecipes(config), bridge: trigger?.bridge });
  const [host, port] = splitListen(config.dashboard.listen);
  await app.listen({ host, port });
  const address = app.server.address();
  const url = typeof address === 'object' && address ? `http://${host}:${address.port}` : `http://${config.dashboard.listen}`;
  log.info({ url, publicUrl: config.dashboard.publicUrl }, `serving on ${url}`);

  const recovered = await recoverRuns({ store, executor, log, teardownBudgetMs: config.runner.teardownBudget, reapOrphans: (domains) => janitor(domains) });
  if (recovered.length > 0) log.warn({ runs: recovered }, `${recovered.length} runs were interrupted by the last stop of the server`);
  scheduler.pump();
  trigger?.bridge.resume();
  trigger?.poller.start();

  let resolveStopped: () => void = () => undefined;
  const stopped = new Promise<void>((r) => { resolveStopped = r; });
  let stopping: Promise<void> | undefined;
  const stop = (reason: string) => {
    stopping ??= (async () => {
      log.warn(`${reason}: stopping the running runs (they tear down) and the server`);
      await trigger?.poller.stop();
      await app.close().catch((err: unknown) => log.error(`closing the HTTP server: ${errorMessage(err)}`));
      await scheduler.shutdown(reason);
      await trigger?.bridge.settled();
      trigger?.bridge.close();
      store.close();
      resolveStopped();
    })();
    return stopping;
  };
  return { url, runs: scheduler, stopped, stop };
}

/** The forge loop (poller, bridge), when a forge and its token are configured. */
function forgeTrigger(config: Config, store: RunStore, runs: Scheduler, log: Logger): { bridge: ForgeBridge; poller: Poller } | undefined {
  if (!config.forge) return undefined;
  const token = config.secrets.forgeToken;
  if (!token) {
    log.warn('forge is configured without a token (forge.tokenFile or CCCI_FORGE_TOKEN): the !testme trigger is off');
    return undefined;
  }
  const forge = createForgeClient({ url: config.forge.url, token, log: (line) => log.warn({ src: 'forge' }, line) });
  const bridge = new ForgeBridge({ config, store, runs, forge, log });
  const poller = new Poller({ forge, store, bridge, repos: config.forge.repos, intervalMs: config.forge.pollInterval, log });
  log.info({ repos: config.forge.repos, pollInterval: config.forge.pollInterval, webhook: Boolean(config.secrets.webhookSecret) }, `following !testme on ${config.forge.repos.length} repositories of ${config.forge.url}`);
  return { bridge, poller };
}

function splitListen(listen: string): [string, number] {
  const m = /^(.*):(\d+)$/.exec(listen);
  if (!m) throw new CcciError('CONFIG_INVALID', `dashboard.listen: expected host:port like 127.0.0.1:8080, got ${JSON.stringify(listen)}`);
  return [m[1]!.replace(/^\[|\]$/g, ''), Number(m[2])];
}
