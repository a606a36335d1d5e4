// `cc-ci serve`: the queue with its executor, crash recovery, the forge loop and the HTTP server,
// started in order from the ports it is handed (src/wiring/ builds them; the demo embeds it).
// Before that, assertAbraReady checks that abra has every command and flag cc-ci uses
// (src/abra/abra-calls.ts) and refuses to start without them (ABRA_FAILED, exit 3). Pages are
// served before recovery finishes, and whether or not the forge answers; a stop (SIGTERM,
// SIGINT) stops the running runs (they tear down and end `interrupted`) before the server exits.
// A drain (serve --drain) first starts no new run and waits for the running ones up to a limit,
// while the HTTP server and the poller go on queuing; then it stops as above.
// The enrolled repositories are a live set (src/config/enrolment.ts): forge.repos as listed, and
// the recipes of the orgs it names, found at start and every hour (src/trigger/org-discovery.ts);
// enrol() takes a reloaded forge.repos without a restart.
import { Enrolment } from '../config/enrolment.js';
import { knownRecipes } from '../config/enrolled.js';
import type { Config } from '../config/load-config.js';
import { CcciError, errorMessage } from '../model/errors.js';
import type { Clock } from '../model/clock.js';
import type { Executor } from '../executors/executor.js';
import { assertAbraUsable } from '../doctor/abra-checks.js';
import { abraCalls } from '../abra/abra-calls.js';
import type { AbraProbe } from '../abra/abra-help.js';
import type { JanitorReport } from '../apps/janitor.js';
import type { Forge } from '../forge/forge.js';
import type { Logger } from '../log/create-logger.js';
import { recoverRuns } from '../queue/recover.js';
import { Scheduler } from '../queue/scheduler.js';
import type { RunControl } from '../queue/run-control.js';
import type { RunStore } from '../queue/store.js';
import type { SecretRegistry } from '../secrets/secret-registry.js';
import { ForgeBridge } from '../trigger/bridge.js';
import { OrgDiscovery } from '../trigger/org-discovery.js';
import { Poller, type RepoPollHealth } from '../trigger/poller.js';
import { PushRuns } from '../schedule/push-runs.js';
import { Sweeper } from '../schedule/sweeps.js';
import { AlertPosts } from '../schedule/alert-posts.js';
import { BranchStatuses } from '../schedule/branch-statuses.js';
import { LevelAlerts } from '../schedule/level-alerts.js';
import { buildServer } from './app.js';
import type { DiskUse } from './disk-use.js';
import { createMetrics } from './metrics.js';

export interface Serving {
  url: string;
  /** The runs, for an embedding caller (the demo) that follows them. */
  runs: RunControl;
  /** Resolves when the server has stopped (after a signal or stop()). */
  stopped: Promise<void>;
  stop(reason: string): Promise<void>;
  /** How polling each enrolled repository goes (empty without a forge). */
  forgeRepos(): RepoPollHealth[];
  /** Starts no new run, lets the running ones finish for up to `limitMs`, then stops; stop() cuts it short. */
  drain(reason: string, limitMs: number): Promise<void>;
  /** The enrolled repositories now: forge.repos and the recipes found in its orgs. */
  enrolled(): string[];
  /**
   * A reloaded forge.repos (a SIGHUP, a changed config): the listed repositories and orgs replace
   * the old ones, and every org is discovered again; resolves once that discovery is done.
   */
  enrol(repos: { repos: readonly string[]; repoOrgs: readonly string[] }): Promise<void>;
}

/** What serve is handed. */
export interface ServePorts {
  config: Config;
  secrets: SecretRegistry;
  log: Logger;
  clock: Clock;
  store: RunStore;
  executor: Executor;
  /**
   * The janitor at max-age 0 over the apps of runs this server killed or lost; never every
   * orphan, which may belong to another cc-ci on the same swarm.
   */
  reap: (domains: string[]) => Promise<JanitorReport>;
  /** The forge, when one is configured with its token; the !testme trigger is off without it. */
  forge?: Forge;
  /** The store's and Docker's disk use, for /metrics, /healthz and the overview. */
  disk?: DiskUse;
}

/** Before anything starts: an abra without a command or flag cc-ci passes would fail every run. */
export async function assertAbraReady(probe: AbraProbe, binary: string, log: Logger): Promise<void> {
  const abraCheck = await assertAbraUsable(probe, binary, abraCalls);
  log.info({ abra: abraCheck.version }, `abra has every command and flag cc-ci uses: ${abraCheck.version}`);
  for (const line of abraCheck.absentOptional) log.info({ abra: abraCheck.version }, line);
}

export async function serve(ports: ServePorts): Promise<Serving> {
  const { config, secrets, log, store, executor, clock } = ports;
  // metrics exists by the time the first reap runs.
  const reap = async (domains: string[]) => {
    const report = await ports.reap(domains);
    metrics.reaped(report.reaped.length);
  };
  const teardownBudgetMs = config.runner.teardownBudget;
  const scheduler = new Scheduler({ store, config, log, executor, clock, reap, teardownBudgetMs });
  const alertPosts = new AlertPosts({ config, runs: scheduler, log });
  const metrics = createMetrics({
    store,
    runs: scheduler,
    disk: ports.disk,
    minFreeBytes: config.dashboard.minFreeSpace,
    alerts: config.alerts.webhook || config.alerts.operator ? alertPosts : undefined,
  });
  const enrolment = new Enrolment(config.forge?.repos ?? [], config.forge?.repoOrgs ?? []);
  const trigger = forgeTrigger(ports, scheduler, alertPosts, enrolment);
  const app = await buildServer({
    config,
    store,
    runs: scheduler,
    secrets,
    log,
    metrics,
    recipes: () => knownRecipes(config, enrolment.list()),
    enrolled: enrolment,
    bridge: trigger?.bridge,
    pushes: trigger?.pushes,
    webhooks: ports.forge?.webhooks,
    forgeRepos: trigger ? () => trigger.poller.health() : undefined,
    clock,
    disk: ports.disk,
  });
  const [host, port] = splitListen(config.dashboard.listen);
  await app.listen({ host, port });
  const address = app.server.address();
  const url =
    typeof address === 'object' && address ? `http://${host}:${address.port}` : `http://${config.dashboard.listen}`;
  log.info({ url, publicUrl: config.dashboard.publicUrl }, `serving on ${url}`);

  const recovered = await recoverRuns({
    store,
    executor,
    log,
    clock,
    teardownBudgetMs,
    reapOrphans: reap,
    adopt: (run, execution) => scheduler.adopt(run, execution),
  });
  if (recovered.length > 0)
    log.warn({ runs: recovered }, `${recovered.length} runs were interrupted by the last stop of the server`);
  scheduler.pump();
  trigger?.bridge.resume();
  trigger?.statuses.resume();
  trigger?.levelAlerts.resume();
  trigger?.poller.start();
  let stopping: Promise<void> | undefined;
  // The sweeps start once the orgs' recipes are known, so a sweep missed while down runs them too.
  const discovered = trigger?.discovery?.start() ?? Promise.resolve();
  void discovered.then(() => {
    if (!stopping) trigger?.sweeper?.start();
  });

  let resolveStopped: () => void = () => undefined;
  const stopped = new Promise<void>((r) => {
    resolveStopped = r;
  });
  const stop = (reason: string) => {
    stopping ??= (async () => {
      log.warn(`${reason}: stopping the running runs (they tear down) and the server`);
      await trigger?.discovery?.stop();
      await trigger?.poller.stop();
      await trigger?.sweeper?.stop();
      await app.close().catch((err: unknown) => log.error(`closing the HTTP server: ${errorMessage(err)}`));
      await scheduler.shutdown(reason);
      await trigger?.bridge.settled();
      trigger?.bridge.close();
      await Promise.all([trigger?.statuses.settled(), trigger?.levelAlerts.settled(), alertPosts.settled()]);
      trigger?.statuses.close();
      trigger?.levelAlerts.close();
      alertPosts.close();
      store.close();
      resolveStopped();
    })();
    return stopping;
  };
  let draining: Promise<void> | undefined;
  const drain = (reason: string, limitMs: number) => {
    draining ??= (async () => {
      log.warn(`${reason}: draining: no new run starts; new requests are queued for the next start`);
      await scheduler.drain(reason, limitMs);
      await stop(reason);
    })();
    return draining;
  };
  const forgeRepos = () => trigger?.poller.health() ?? [];
  const enrolled = () => enrolment.list();
  const enrol = async (next: { repos: readonly string[]; repoOrgs: readonly string[] }) => {
    const change = enrolment.configure(next.repos, next.repoOrgs);
    log.info(
      { repos: next.repos, orgs: next.repoOrgs, added: change.added, removed: change.removed },
      `forge.repos reloaded: ${next.repos.length} repositories listed` +
        (next.repoOrgs.length ? ` and the recipes of ${next.repoOrgs.join(', ')}` : '') +
        (change.added.length ? `; new: ${change.added.join(', ')}` : '') +
        (change.removed.length ? `; no longer: ${change.removed.join(', ')}` : ''),
    );
    if (trigger?.discovery && next.repoOrgs.length > 0) await trigger.discovery.refresh();
  };
  return { url, runs: scheduler, stopped, stop, drain, forgeRepos, enrolled, enrol };
}

/**
 * The forge loop (poller, bridge), default-branch runs on push (forge.pushRuns), the scheduled
 * sweeps, and the default-branch runs' commit statuses and level alerts, when a forge and its
 * token are configured.
 */
function forgeTrigger(
  ports: ServePorts,
  runs: Scheduler,
  alertPosts: AlertPosts,
  enrolment: Enrolment,
):
  | {
      bridge: ForgeBridge;
      poller: Poller;
      pushes?: PushRuns;
      sweeper?: Sweeper;
      statuses: BranchStatuses;
      levelAlerts: LevelAlerts;
      discovery: OrgDiscovery;
    }
  | undefined {
  const { config, store, log, forge, clock } = ports;
  if (!config.forge) return undefined;
  if (!forge) {
    log.warn(
      'forge is configured without a token (forge.tokenFile or CCCI_FORGE_TOKEN): the !testme trigger, ' +
        'push runs and scheduled sweeps are off',
    );
    return undefined;
  }
  const bridge = new ForgeBridge({ config, store, runs, forge: forge.client, log, enrolled: enrolment });
  const statuses = new BranchStatuses({ config, store, runs, forge: forge.client, log, clock, enrolled: enrolment });
  const levelAlerts = new LevelAlerts({
    config,
    store,
    runs,
    forge: forge.client,
    log,
    clock,
    notify: (event) => alertPosts.levelAlert(event),
    enrolled: enrolment,
  });
  const pushes = config.forge.pushRuns ? new PushRuns({ store, runs, forge: forge.client, log }) : undefined;
  const sweeper =
    config.schedules.length > 0
      ? new Sweeper({
          schedules: config.schedules,
          repos: enrolment,
          store,
          runs,
          forge: forge.client,
          log,
          clock,
        })
      : undefined;
  const poller = new Poller({
    forge,
    store,
    bridge,
    repos: enrolment,
    intervalMs: config.forge.pollInterval,
    heads: pushes,
    log,
    clock,
  });
  // Always made: a reload may add an org to a config that named none.
  const discovery = new OrgDiscovery({ forge: forge.client, enrolment, log, clock });
  const orgs = config.forge.repoOrgs;
  log.info(
    {
      repos: config.forge.repos,
      orgs,
      pollInterval: config.forge.pollInterval,
      webhook: Boolean(config.secrets.webhookSecret),
      pushRuns: config.forge.pushRuns,
      schedules: config.schedules.map((s) => s.cron),
    },
    `following !testme${pushes ? ' and default-branch pushes' : ''} on ${config.forge.repos.length} repositories ` +
      (orgs.length ? `and the recipe repositories of ${orgs.join(', ')} (read every hour and on SIGHUP) ` : '') +
      `of ${config.forge.url}` +
      (sweeper ? `; ${config.schedules.length} sweep schedules` : ''),
  );
  return { bridge, poller, pushes, sweeper, statuses, levelAlerts, discovery };
}

function splitListen(listen: string): [string, number] {
  const m = /^(.*):(\d+)$/.exec(listen);
  if (!m)
    throw new CcciError(
      'CONFIG_INVALID',
      `dashboard.listen: expected host:port like 127.0.0.1:8080, got ${JSON.stringify(listen)}`,
    );
  return [m[1]!.replace(/^\[|\]$/g, ''), Number(m[2])];
}
