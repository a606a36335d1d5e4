// The local executor: each run is a child `cc-ci run --run-id <id> --events <file>` in its own
// process group on this host (DESIGN §2), with the server's own config. It owns the child: the
// spawn, its pid, following its events file, the stop (the stop reason, then SIGTERM to the
// group), the kill, and after a restart finding a surviving child again by its lease's pid.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { scanLeases } from '../../apps/lease.js';
import type { Logger } from '../../log/create-logger.js';
import { systemClock, type Clock } from '../../model/clock.js';
import { errorMessage } from '../../model/errors.js';
import type { RunResults } from '../../model/results.js';
import { runFolder, writeStopReason, type RunFolder, type StopReason } from '../../model/run-folder.js';
import type { RunRecord } from '../../model/run.js';
import { ccciChildEnv } from '../../process/child-env.js';
import { signalGroup } from '../../process/process-group.js';
import { pidAlive, spawnRunChild, type ChildExit } from '../../process/run-child.js';
import { EventStream } from '../event-stream.js';
import type { Execution, Executor, Reattached } from '../executor.js';
import { followEvents } from '../follow-events.js';

const defaultCli = fileURLToPath(new URL('../../cli.js', import.meta.url));

/** How often a surviving child of an earlier server is looked at, and how long it has after SIGKILL. */
const PID_POLL_MS = 200;
const KILL_POLL_MS = 100;
const KILL_GRACE_MS = 5_000;

export interface LocalExecutorOptions {
  /** The config's store folder: runs/<id>/ and leases/. */
  storeDir: string;
  /** The server's cc-ci.yml, handed to every child. */
  configPath: string;
  log: Logger;
  clock?: Clock;
  /** The child's whole environment; default the server's own, read at each start. */
  env?: NodeJS.ProcessEnv;
  /** The cc-ci entry point the child runs (default: this build's cli.js); tests hand in a stand-in. */
  cli?: string;
}

type Exit = { code: number | null; signal: string | null };

/** What the local executor needs of a process, whether it spawned it or found it again. */
interface Process {
  pid?: number;
  exited: Promise<ChildExit | Exit>;
  signal(sig: 'SIGTERM' | 'SIGKILL'): void;
}

export function localExecutor(opts: LocalExecutorOptions): Executor {
  const clock = opts.clock ?? systemClock;
  return {
    start(run: RunRecord): Execution {
      const folder = runFolder(opts.storeDir, run.id);
      mkdirSync(folder.dir, { recursive: true });
      const child = spawnRunChild(process.execPath, runArgs(run, folder, opts.configPath, opts.cli), {
        env: opts.env ?? ccciChildEnv(),
        outputFile: folder.childOutput,
      });
      return follow(run.id, folder, child, opts.log);
    },

    reattach(run: RunRecord): Reattached {
      const folder = runFolder(opts.storeDir, run.id);
      // A child that outlived its server still holds its live lease (pid alive, heartbeat fresh).
      const lease = scanLeases(opts.storeDir, clock.now().getTime()).leases.find((l) => l.runId === run.id && l.live);
      if (!lease) {
        const gone: Process = { exited: Promise.resolve({ code: null, signal: null }), signal: () => undefined };
        return { ...follow(run.id, folder, gone, opts.log), alive: false };
      }
      let killedAt: number | undefined;
      const found: Process = {
        pid: lease.pid,
        exited: pidGone(lease.pid, clock, () => killedAt),
        signal(sig) {
          if (sig === 'SIGKILL') killedAt ??= clock.now().getTime();
          signalGroup(lease.pid, sig);
        },
      };
      return { ...follow(run.id, folder, found, opts.log), alive: true };
    },
  };
}

/** The child's command line: argument array, every value validated before it was queued. */
export function runArgs(
  run: Pick<RunRecord, 'id' | 'recipe' | 'ref' | 'sha' | 'repo' | 'stages' | 'keep'>,
  files: RunFolder,
  configPath: string,
  cli = defaultCli,
): string[] {
  return [
    cli,
    'run',
    run.recipe,
    '--ref',
    run.ref,
    ...(run.sha ? ['--sha', run.sha] : []),
    '--repo',
    run.repo,
    ...(run.stages.length > 0 ? ['--stages', run.stages.join(',')] : []),
    ...(run.keep ? ['--keep'] : []),
    '--run-id',
    run.id,
    '--events',
    files.events,
    '--config',
    configPath,
  ];
}

/** An execution over a process and the run's folder: its events file followed, its results read at the end. */
function follow(runId: string, folder: RunFolder, proc: Process, log: Logger): Execution {
  const stream = new EventStream();
  const follower = followEvents(folder.events, (e) => stream.push(e));
  // What is in the file already (a run found again after a restart) is there for the first listener.
  follower.drain();
  const ended = proc.exited.then((exit) => {
    follower.drain();
    follower.stop();
    return { code: exit.code, signal: exit.signal, results: readResults(folder) };
  });
  return {
    pid: proc.pid,
    onEvent: (listener) => stream.onEvent(listener),
    ended,
    stop: (reason) => stopRunChild(runId, folder, proc, reason, (line) => log.warn(line)),
    kill: () => proc.signal('SIGKILL'),
  };
}

/** The child contract's stop: the stop reason first, then SIGTERM to the child's process group. */
export function stopRunChild(
  runId: string,
  folder: RunFolder,
  proc: { signal(sig: 'SIGTERM'): void },
  reason: StopReason,
  warn: (line: string) => void,
): void {
  // Told why first, so the run reports the reason instead of "stopped by SIGTERM".
  try {
    writeStopReason(folder, reason);
  } catch (err) {
    warn(`could not write the stop reason of run ${runId}: ${errorMessage(err)}`);
  }
  proc.signal('SIGTERM');
}

/**
 * Resolves once a process we did not start has ended (there is no exit code to be had), or once
 * it outlived a SIGKILL's grace.
 */
async function pidGone(pid: number, clock: Clock, killedAt: () => number | undefined): Promise<Exit> {
  for (;;) {
    const killed = killedAt();
    if (!pidAlive(pid)) return { code: null, signal: killed === undefined ? null : 'SIGKILL' };
    const graceOver = killed !== undefined && clock.now().getTime() - killed >= KILL_GRACE_MS;
    if (graceOver) return { code: null, signal: 'SIGKILL' };
    await new Promise<void>((resolve) => clock.after(killed === undefined ? PID_POLL_MS : KILL_POLL_MS, resolve));
  }
}

function readResults(folder: RunFolder): RunResults | undefined {
  try {
    return existsSync(folder.results) ? (JSON.parse(readFileSync(folder.results, 'utf8')) as RunResults) : undefined;
  } catch {
    return undefined;
  }
}
