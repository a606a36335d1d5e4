// `cc-ci serve`, and the demo's embedded server: the ports serve needs, built in the order that
// refuses a bad start before anything exists (an executor not built yet, then an abra without a
// command or flag cc-ci uses), then serve until a signal. Beside it, the janitor retries the
// teardowns of apps that ended runs left behind (src/apps/left-behind-reaper.ts), and retention
// prunes old run folders at start and daily (src/queue/pruner.ts). With --drain, the first
// SIGTERM or SIGINT drains (no new run; the running ones finish up to --drain-timeout) and a
// second one stops at once. SIGHUP, and a change of the config file, reload forge.repos without a
// restart (./config-reload.ts); SIGHUP never stops serve (the run children, in their own process
// groups, do not get it).
import { parseDuration } from '../config/duration.js';
import { loadConfigAsync, type Config } from '../config/load-config.js';
import { CcciError } from '../model/errors.js';
import { createLogger, type Logger } from '../log/create-logger.js';
import type { SecretRegistry } from '../secrets/secret-registry.js';
import { assertAbraServer } from '../abra/server-entry.js';
import { startLeftBehindReaper } from '../apps/left-behind-reaper.js';
import { startPruner } from '../queue/pruner.js';
import { assertAbraReady, serve, type Serving } from '../server/serve.js';
import { startConfigReload, type ConfigReload } from './config-reload.js';
import {
  abraPort,
  abraProbePort,
  clockPort,
  diskUsePort,
  dockerPort,
  executorPort,
  forgePort,
  janitorPort,
  openStore,
} from './ports.js';

export async function startServing(config: Config, secrets: SecretRegistry, log: Logger): Promise<Serving> {
  // Every run would be refused before its folder exists; say so now, not as each run's INTERNAL error.
  // Runs that execute on runner hosts (drone) need no abra here: the host of serve may have none.
  const local = config.runner.executor === 'local';
  if (local) assertAbraServer(config.swarm.abraDir, config.swarm.server);
  const clock = clockPort();
  const executor = executorPort(config, log, clock);
  if (local) await assertAbraReady(abraProbePort(config), config.swarm.abra, log);
  const store = await openStore(config);
  const janitor = janitorPort(config, {
    abra: abraPort(config),
    docker: dockerPort(config),
    clock,
    log: (line) => log.info({ src: 'janitor' }, line),
  });
  const forge = forgePort(config, { log: (line) => log.warn({ src: 'forge' }, line) });
  const serving = await serve({
    config,
    secrets,
    log,
    clock,
    store,
    executor,
    forge,
    reap: (only) => janitor({ maxAgeMs: 0, only }),
    disk: diskUsePort(config),
  });
  // Started after recovery (serve returns once it is done), so the two never tear down one app at once.
  const reaper = startLeftBehindReaper({
    store: config.store,
    reap: (only) => janitor({ maxAgeMs: config.runner.janitorMaxAge, only }),
    log: { info: (line) => log.info({ src: 'janitor' }, line), warn: (line) => log.warn({ src: 'janitor' }, line) },
    clock,
  });
  const pruner = startPruner({
    store,
    storeDir: config.store,
    policy: config.retention,
    clock,
    log: { info: (line) => log.info({ src: 'retention' }, line), warn: (line) => log.warn({ src: 'retention' }, line) },
  });
  return {
    ...serving,
    stopped: serving.stopped.then(() => {
      pruner.stop();
      return reaper.stop();
    }),
    stop: async (reason) => {
      pruner.stop();
      await Promise.all([serving.stop(reason), reaper.stop()]);
    },
  };
}

export interface ServeFlags {
  config?: string;
  drain?: boolean;
  drainTimeout?: string;
}

/** How long --drain waits for the running runs when --drain-timeout is not given. */
export const defaultDrainTimeout = '30m';

export async function serveCommand(flags: ServeFlags, secrets: SecretRegistry): Promise<number> {
  if (flags.drainTimeout !== undefined && !flags.drain)
    throw new CcciError('USAGE', '--drain-timeout is the limit of --drain: give --drain too, or leave it out');
  const drainMs = flags.drain ? parseDuration(flags.drainTimeout ?? defaultDrainTimeout) : undefined;
  if (flags.drain && drainMs === undefined)
    throw new CcciError(
      'USAGE',
      `--drain-timeout: expected a duration like "30m" or "2h", got ${JSON.stringify(flags.drainTimeout)}`,
    );
  const config = await loadConfigAsync({ path: flags.config, secrets });
  const { log, close } = createLogger({ secrets });
  // The handlers go in first: a stop during start-up (recovery can take a while) is kept for when serving begins.
  const state: { serving?: Serving; signals: NodeJS.Signals[] } = { signals: [] };
  // The first signal drains when asked to; any later one (or the first, without --drain) stops at once.
  const act = (serving: Serving, s: NodeJS.Signals, nth: number) =>
    void (nth === 1 && drainMs !== undefined ? serving.drain(s, drainMs) : serving.stop(s));
  const onSignal = (s: NodeJS.Signals) => {
    state.signals.push(s);
    if (state.serving) act(state.serving, s, state.signals.length);
  };
  for (const s of ['SIGTERM', 'SIGINT'] as const) process.on(s, onSignal);
  // A SIGHUP during start-up is kept too: the config is read again once serving begins.
  const reloads: { reloader?: ConfigReload; missed: boolean } = { missed: false };
  const onHangup = () => {
    if (reloads.reloader) void reloads.reloader.reload('SIGHUP');
    else reloads.missed = true;
  };
  process.on('SIGHUP', onHangup);
  const serving = await startServing(config, secrets, log);
  state.serving = serving;
  const last = state.signals.at(-1);
  if (last) act(serving, last, state.signals.length);
  reloads.reloader = startConfigReload({ config, secrets, log, serving });
  if (reloads.missed) void reloads.reloader.reload('SIGHUP');
  await serving.stopped;
  reloads.reloader.close();
  await close();
  return 0;
}
