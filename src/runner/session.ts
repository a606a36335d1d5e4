// What every run needs before it can do anything, shared by `cc-ci run` and the server's local
// executor: a run id, its folder, a logger writing run.log, the events file, the stop signal
// and the run's time limit. The signal handlers go in first, before anything exists that a
// signal would have to tear down.
import { existsSync } from 'node:fs';
import type { Config } from '../config/load-config.js';
import { CcciError, type StopCode } from '../model/errors.js';
import { createLogger, type Logger } from '../log/create-logger.js';
import type { SecretRegistry } from '../secrets/secret-registry.js';
import { validateRunId } from '../validate/input.js';
import { eventsFile, noEvents, type RunEvents } from '../model/run-events.js';
import { newRunId, readStopReason, runFolder } from '../model/run-folder.js';
import { createRunDir, type RunDir } from './run-dir.js';

export const stopSignals = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

export interface RunSession {
  runId: string;
  runDir: RunDir;
  log: Logger;
  events: RunEvents;
  /** Aborts with a CcciError whose code is CANCELLED, SUPERSEDED or TIMED_OUT. */
  signal: AbortSignal;
  /** Removes the handlers and the timer, and flushes run.log. */
  close(): Promise<void>;
}

export interface SessionOptions {
  config: Config;
  secrets: SecretRegistry;
  /** Minted by the caller (the server); a fresh one otherwise. */
  runId?: string;
  events?: string;
  /** Human-readable log lines on stderr too. */
  console?: boolean;
  /**
   * Stop (CANCELLED) when stdin ends: its write end belongs to the process that started the run
   * (`cc-ci drone step`), and the kernel closes it when that process dies, SIGKILL included
   * (a cancel through Drone). Nothing is ever read from it.
   */
  lifeline?: boolean;
}

export function openRunSession(opts: SessionOptions): RunSession {
  const { config } = opts;
  const runId = opts.runId === undefined ? newRunId() : validateRunId(opts.runId);
  const controller = new AbortController();
  let log: Logger | undefined;
  const folder = runFolder(config.store, runId);
  let made = false;
  const stop = (code: StopCode, message: string) => {
    if (controller.signal.aborted) {
      log?.warn('teardown in progress; wait for it');
      return;
    }
    log?.warn({ code }, `${message}: stopping the run and tearing down`);
    controller.abort(new CcciError(code, message));
  };
  const onSignal = (signal: NodeJS.Signals) => {
    const asked = made ? readStopReason(folder) : undefined;
    stop(asked?.code ?? 'CANCELLED', asked?.message ?? `stopped by ${signal}`);
  };
  for (const s of stopSignals) process.on(s, onSignal);
  const onLifelineEnd = () => {
    const asked = made ? readStopReason(folder) : undefined;
    stop(asked?.code ?? 'CANCELLED', asked?.message ?? 'the process that started the run is gone (its stdin closed)');
  };
  if (opts.lifeline) {
    process.stdin.on('end', onLifelineEnd).on('error', onLifelineEnd);
    process.stdin.resume();
  }
  // runner.runTimeout bounds the whole run; teardown still runs after it fires.
  const timer = setTimeout(
    () =>
      stop(
        'TIMED_OUT',
        `the run took longer than runner.runTimeout (${Math.round(config.runner.runTimeout / 60_000)} min)`,
      ),
    config.runner.runTimeout,
  );
  timer.unref();
  const release = () => {
    clearTimeout(timer);
    for (const s of stopSignals) process.off(s, onSignal);
    if (opts.lifeline) {
      process.stdin.off('end', onLifelineEnd).off('error', onLifelineEnd);
      // The pipe must not keep the finished run alive.
      process.stdin.pause();
      process.stdin.destroy();
    }
  };
  try {
    if (existsSync(folder.results))
      throw new CcciError('USAGE', `run id ${runId} was already used: ${folder.results} exists`);
    const runDir = createRunDir(config.store, runId, config.swarm.abraDir, config.swarm.server);
    made = true;
    const logger = createLogger({ secrets: opts.secrets, file: runDir.log, console: opts.console ?? true });
    log = logger.log;
    const events = opts.events ? eventsFile(opts.events, runId, opts.secrets, (m) => logger.log.warn(m)) : noEvents;
    if (controller.signal.aborted) log.warn('a stop arrived while the run was being set up');
    return {
      runId,
      runDir,
      log,
      events,
      signal: controller.signal,
      async close() {
        release();
        await logger.close();
      },
    };
  } catch (err) {
    release();
    throw err;
  }
}
