// Where a run executes. The queue starts, follows, stops and recovers runs only through this
// interface: `local` runs `cc-ci run` as a child on this host; another executor (Drone: the same
// command in a Drone step) implements it in its own folder and registers in ./registry.ts.
// Nothing here assumes a local process or file: a run is followed through its events (the child
// contract, DESIGN §2), stopped by asking, and its end is a promise.
import type { ErrorInfo } from '../model/errors.js';
import type { RunResults } from '../model/results.js';
import type { RunEventLine } from '../model/run-events.js';
import type { StopReason } from '../model/run-folder.js';
import type { RunRecord } from '../model/run.js';

/** How an execution ended. */
export interface ExecutionEnd {
  /** The run's exit code (0 pass, 1 fail, 2 refused, 3 error), when known. */
  code: number | null;
  /** The signal that ended it from outside (SIGKILL after the teardown budget), when known. */
  signal: string | null;
  /** The results the run left, if it wrote them, even when its run-finished event never came. */
  results?: RunResults;
  /**
   * Why the execution ended, from the executor's side, when the run could not say it itself (a
   * remote build lost with its runner host, an executor service that stopped answering): without
   * results, the run ends `errored` with it rather than with INTERNAL.
   */
  error?: ErrorInfo;
}

/** One run, as it executes. */
export interface Execution {
  /** The local child's process group, kept in RunRecord.pid for the operator; other executors have none. */
  readonly pid?: number;
  /**
   * Every event of the run, in order: first those seen so far (replayed from the start), then
   * each as it comes. Returns the unsubscribe. The apps a run claimed are its app-claimed events.
   */
  onEvent(listener: (event: RunEventLine) => void): () => void;
  /** Resolves once the run has ended and every event it wrote has been handed to the listeners. */
  readonly ended: Promise<ExecutionEnd>;
  /** Asks the run to stop for this reason: it tears down and reports the reason's code and message. */
  stop(reason: StopReason): void;
  /** Ends the run at once (it outlived the teardown budget); whatever it claimed is the janitor's. */
  kill(): void;
  /**
   * Set when the run goes on without this server (a remote build): a shutdown of the server only
   * stops following it (`detach`), and the next start follows it again (`Executor.reattach`)
   * instead of stopping it.
   */
  readonly detached?: { detach(): void };
  /** The runner host the run executes on, once known (Drone's `machine`); undefined: this host. */
  host?(): string | undefined;
}

/** A run found again after a restart of the server. */
export interface Reattached extends Execution {
  /** Whether the run was still going; if not, `ended` resolves once its events are replayed. */
  readonly alive: boolean;
}

export interface Executor {
  /** Starts a queued run; throws when it cannot be started. */
  start(run: RunRecord): Execution;
  /** A run the store still calls `running` when the server starts: its execution, if it still goes. */
  reattach(run: RunRecord): Reattached;
}
