// Where a run executes. The queue only starts, signals and awaits runs through this interface:
// `local` runs `cc-ci run` as a child here; `drone` (to come) runs the same command in a Drone
// step, with no change to the queue.
import type { RunRecord } from '../model/run.js';
import type { RunFolder } from '../model/run-folder.js';

/** The run's folder (the child contract's layout). */
export type RunFiles = RunFolder;

export interface ExecutionHandle {
  /** The child's process group (local) or an id the executor understands. */
  readonly pid: number;
  /** Resolves when the run has ended, with its exit code when known. */
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  /** SIGTERM asks the run to stop and tear down; SIGKILL ends it at once. */
  signal(sig: 'SIGTERM' | 'SIGKILL'): void;
}

export interface Executor {
  start(run: RunRecord, files: RunFiles): ExecutionHandle;
}
