// The drone executor (runner.executor: drone): each run is a `custom` build of the runner
// repository on Drone, whose one step runs `cc-ci drone step` on a runner host. The run's events,
// run.log and artifacts come back through serve's ingest route into the run's folder here, so
// the run is followed through its events file exactly like a local one; Drone is asked only how
// the build goes. The build number is kept in the run's folder, so a restarted serve follows the
// build again instead of stopping it; the apps are the runner host's, and so is their janitor.
//
// A stop is written to the run's folder (stop-reason.json); the step on the runner host reads it in
// the ingest route's answers and stops its run, which tears down and reports the reason. Drone's
// own cancel SIGKILLs the step at once (drone-runner-exec), so it is kept for a build no runner
// has taken yet and for a kill (the run outlived the teardown budget); the run then notices its
// step is gone (`cc-ci run --lifeline`) and tears down by itself.
//
// Whose fault: a build that Drone ends without the run's own end (the runner host died, the step
// never started cc-ci), a build Drone forgets, or a Drone that stops answering end the run
// `errored` with a code naming Drone (DRONE_*), never the recipe's `fail`.
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../log/create-logger.js';
import { systemClock, type Clock } from '../../model/clock.js';
import { CcciError, errorMessage, type ErrorInfo } from '../../model/errors.js';
import type { RunEventLine } from '../../model/run-events.js';
import { readResults, runFolder, writeStopReason, type RunFolder, type StopReason } from '../../model/run-folder.js';
import type { RunRecord } from '../../model/run.js';
import type { StageName } from '../../model/stage.js';
import { EventStream } from '../event-stream.js';
import type { Execution, ExecutionEnd, Executor, Reattached } from '../executor.js';
import { followEvents, type EventFollower } from '../follow-events.js';
import { buildParams, type DroneBuild, type DroneBuilds } from './drone-builds.js';

export interface DroneExecutorOptions {
  /** The config's store folder: runs/<id>/ (filled by the ingest route). */
  storeDir: string;
  builds: DroneBuilds;
  /** Where runner hosts reach serve's ingest route (the dashboard's public URL). */
  serveUrl: string;
  /** serve's runner.stages: the stages of a run that names none. */
  defaultStages?: readonly StageName[];
  log: Logger;
  clock?: Clock;
  /** How often a build is asked about (default 1 s). */
  pollMs?: number;
  /** How long Drone may fail to answer about a build before the run errors (default 10 min). */
  unreachableLimitMs?: number;
  /** How long the last events may take to arrive after Drone says the build is done (default 15 s). */
  settleMs?: number;
  /** After a kill, how long Drone has to end the build before the run is given up (default 30 s). */
  killGraceMs?: number;
  /**
   * How long a running build's step may go unheard (no ingest request, heartbeats included)
   * before its runner host counts as gone (default 2 min): Drone keeps such a build running.
   */
  silenceLimitMs?: number;
}

/** The longest pause between questions to a Drone that does not answer. */
const MAX_BACKOFF_MS = 30_000;

export function droneExecutor(opts: DroneExecutorOptions): Executor {
  return {
    start(run: RunRecord): Execution {
      const remote = new RemoteRun(run.id, runFolder(opts.storeDir, run.id), opts);
      remote.create(buildParams(run, opts.serveUrl, opts.defaultStages));
      return remote.execution();
    },

    reattach(run: RunRecord): Reattached {
      const folder = runFolder(opts.storeDir, run.id);
      const remote = new RemoteRun(run.id, folder, opts);
      const saved = readBuildFile(folder);
      // No build number: serve died before Drone answered the create; nothing is known to follow.
      if (!saved) {
        remote.giveUp();
        return { ...remote.execution(), alive: false };
      }
      remote.follow(saved.number);
      return { ...remote.execution(), alive: true };
    },
  };
}

/** Where the build number of a run is kept: its folder. */
export function buildFile(folder: RunFolder): string {
  return join(folder.dir, 'drone-build.json');
}

export function readBuildFile(folder: RunFolder): { number: number } | undefined {
  try {
    const saved = JSON.parse(readFileSync(buildFile(folder), 'utf8')) as { number?: unknown };
    return typeof saved.number === 'number' ? { number: saved.number } : undefined;
  } catch {
    return undefined;
  }
}

class RemoteRun {
  private readonly stream = new EventStream();
  private readonly follower: EventFollower;
  private readonly clock: Clock;
  private finished?: Extract<RunEventLine, { type: 'run-finished' }>;
  private number?: number;
  /** The runner host that took the build. */
  private machine?: string;
  /** A stop asked for: told through the run's folder. */
  private stopAsked = false;
  /** A cancel through Drone asked for (a kill, or a stop before a runner took the build); sent until taken. */
  private cancel?: { sent: boolean; killed: boolean };
  private over = false;
  private readonly ended: Promise<ExecutionEnd>;
  private resolveEnded!: (end: ExecutionEnd) => void;

  constructor(
    private readonly runId: string,
    private readonly folder: RunFolder,
    private readonly opts: DroneExecutorOptions,
  ) {
    this.clock = opts.clock ?? systemClock;
    mkdirSync(folder.dir, { recursive: true });
    this.follower = followEvents(folder.events, (e) => {
      if (e.type === 'run-finished') this.finished = e;
      this.stream.push(e);
    });
    // What is in the folder already (a run found again after a restart) is there for the first listener.
    this.follower.drain();
    this.ended = new Promise((resolve) => {
      this.resolveEnded = resolve;
    });
  }

  execution(): Execution {
    return {
      onEvent: (listener) => this.stream.onEvent(listener),
      ended: this.ended,
      stop: (reason) => this.stop(reason, false),
      kill: () => this.stop(undefined, true),
      detached: { detach: () => this.end(undefined) },
      host: () => this.machine,
    };
  }

  /** Creates the build; once Drone answers with its number, follows it. */
  create(params: Record<string, string>): void {
    void this.opts.builds.create(params).then(
      (number) => {
        writeFileSync(buildFile(this.folder), `${JSON.stringify({ number })}\n`);
        this.opts.log.info({ runId: this.runId, build: number }, `run ${this.runId} is Drone build ${number}`);
        this.follow(number);
      },
      (err: unknown) =>
        this.end({
          code: null,
          signal: null,
          error: droneError(err, `Drone did not create the run's build: ${errorMessage(err)}`),
        }),
    );
  }

  follow(number: number): void {
    this.number = number;
    void this.watch(number).catch((err: unknown) =>
      this.end({
        code: null,
        signal: null,
        error: { code: 'INTERNAL', message: `following Drone build ${number} failed: ${errorMessage(err)}` },
      }),
    );
  }

  /** Nothing to follow: ends with what the folder holds. */
  giveUp(): void {
    this.end({ code: this.finished?.exitCode ?? null, signal: null, results: readResults(this.folder.results) });
  }

  private stop(reason: StopReason | undefined, killed: boolean): void {
    if (reason) {
      this.stopAsked = true;
      // The step reads it in the ingest route's answers and stops the run with this reason.
      try {
        writeStopReason(this.folder, reason);
      } catch (err) {
        this.opts.log.warn(`could not write the stop reason of run ${this.runId}: ${errorMessage(err)}`);
      }
      // No runner has the build yet: nothing to tear down, and no step to read the reason.
      if (this.machine === undefined) this.cancelBuild(false);
      return;
    }
    this.cancelBuild(killed);
    if (killed)
      this.clock.after(this.opts.killGraceMs ?? 30_000, () =>
        this.end({ code: null, signal: 'SIGKILL', results: readResults(this.folder.results) }),
      );
  }

  private cancelBuild(killed: boolean): void {
    this.cancel = { sent: this.cancel?.sent ?? false, killed: killed || (this.cancel?.killed ?? false) };
    void this.sendCancel();
  }

  private async sendCancel(): Promise<void> {
    if (!this.cancel || this.cancel.sent || this.number === undefined || this.over) return;
    this.cancel.sent = true;
    try {
      await this.opts.builds.cancel(this.number);
    } catch (err) {
      this.cancel.sent = false;
      this.opts.log.warn(
        { runId: this.runId, build: this.number },
        `cancelling Drone build ${this.number} failed (${errorMessage(err)}); trying again`,
      );
    }
  }

  private async watch(number: number): Promise<void> {
    const pollMs = this.opts.pollMs ?? 1_000;
    const limitMs = this.opts.unreachableLimitMs ?? 600_000;
    // Silence counts from when this server began to follow (a restart is not the step's silence).
    const followedSince = this.clock.now().getTime();
    let failingSince: number | undefined;
    let pause = pollMs;
    while (!this.over) {
      void this.sendCancel();
      let build: DroneBuild | undefined;
      try {
        build = await this.opts.builds.get(number);
      } catch (err) {
        const now = this.clock.now().getTime();
        failingSince ??= now;
        if (now - failingSince >= limitMs) {
          const minutes = Math.round(limitMs / 60_000);
          return this.end({
            code: null,
            signal: null,
            error: droneError(
              err,
              `Drone did not answer about build ${number} for ${minutes} min (last: ${errorMessage(err)}); ` +
                `the build may still go on: look at it on Drone; its runner host's janitor reaps what it leaves`,
            ),
          });
        }
        pause = Math.min(pause * 2, MAX_BACKOFF_MS);
        await this.clock.sleep(pause);
        continue;
      }
      failingSince = undefined;
      pause = pollMs;
      const machine = (this.machine = build?.machine ?? this.machine);
      // Stopped while no runner had it yet (a stop that came before the create's answer).
      if (this.stopAsked && !this.cancel && build && machine === undefined && !build.done) this.cancelBuild(false);
      if (!build)
        return this.end({
          code: null,
          signal: null,
          error: {
            code: 'DRONE_BUILD_LOST',
            message:
              `Drone no longer knows build ${number}${machine ? ` (on ${machine})` : ''}: ` +
              'it was deleted, or Drone lost its database',
          },
        });
      if (build.done) return this.settle(build, machine);
      const silent = machine !== undefined && !this.cancel ? this.silentFor(followedSince) : undefined;
      if (silent !== undefined) {
        this.cancelBuild(false);
        return this.end({
          code: null,
          signal: null,
          results: readResults(this.folder.results),
          error: {
            code: 'DRONE_BUILD_LOST',
            message:
              `no word from the step of Drone build ${number} on runner host ${machine} for ` +
              `${Math.round(silent / 1000)} s, though Drone says the build is ${build.status}: the host or its ` +
              `exec runner went down; the build was cancelled, and that host's janitor reaps what the run left`,
          },
        });
      }
      await this.clock.sleep(pollMs);
    }
  }

  /**
   * How long the step has been silent when that is past the limit: since its last ingest request,
   * or since this server began to follow, whichever is later; undefined while within the limit.
   */
  private silentFor(followedSince: number): number | undefined {
    const limit = this.opts.silenceLimitMs ?? 120_000;
    let heard = followedSince;
    try {
      heard = Math.max(heard, statSync(this.folder.ingestHeard).mtimeMs);
    } catch {
      /* not heard from yet */
    }
    const silent = this.clock.now().getTime() - heard;
    return silent > limit ? silent : undefined;
  }

  /** The build is done: the run's end is its run-finished event, which the step sent before it exited. */
  private async settle(build: DroneBuild, machine: string | undefined): Promise<void> {
    const until = this.clock.now().getTime() + (this.opts.settleMs ?? 15_000);
    for (;;) {
      this.follower.drain();
      if (this.finished || this.cancel || this.stopAsked || this.clock.now().getTime() >= until) break;
      await this.clock.sleep(250);
    }
    const results = readResults(this.folder.results);
    if (this.finished) return this.end({ code: this.finished.exitCode, signal: null, results });
    // Stopped by us: the scheduler ends it with the stop's reason.
    if (this.cancel || this.stopAsked)
      return this.end({ code: null, signal: this.cancel?.killed ? 'SIGKILL' : null, results });
    const where = machine ? `on runner host ${machine}` : 'before any runner host took it';
    this.end({
      code: null,
      signal: null,
      results,
      error: {
        code: 'DRONE_BUILD_LOST',
        message:
          `Drone build ${build.number} ended ${build.status} ${where} without the run's own end: ` +
          `the runner host died or restarted, its runner stopped, or the step could not start cc-ci` +
          (build.link ? `; see ${build.link}` : '') +
          `; that host's janitor reaps what the run left`,
      },
    });
  }

  /** Ends the execution once (undefined: only stops following, the build goes on). */
  private end(end: ExecutionEnd | undefined): void {
    if (this.over) return;
    this.over = true;
    this.follower.drain();
    this.follower.stop();
    if (end) this.resolveEnded(end);
  }
}

/** A Drone error as the run's: the client's own code when it is one of Drone's, else unreachable. */
function droneError(err: unknown, message: string): ErrorInfo {
  const code = err instanceof CcciError && err.code.startsWith('DRONE_') ? err.code : 'DRONE_UNREACHABLE';
  return { code, message };
}
