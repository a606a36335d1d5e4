// An executor whose runs we drive by hand, for the queue's tests: each run emits events like
// `cc-ci run`, writes its results and the stop reason where the local executor would (the run's
// folder), and ends when told. A stop makes it tear down and report the reason (or, with
// onStop 'ignore', do nothing, so the teardown budget runs out); a kill ends it at once.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventStream } from '../../src/executors/event-stream.js';
import type { Execution, ExecutionEnd, Executor, Reattached } from '../../src/executors/executor.js';
import type { ErrorCode } from '../../src/model/errors.js';
import type { RunEventLine } from '../../src/model/run-events.js';
import { runFolder, writeStopReason, type RunFolder, type StopReason } from '../../src/model/run-folder.js';
import type { RunRecord } from '../../src/model/run.js';

type Verdict = 'pass' | 'fail' | 'error';
const exitCodes: Record<Verdict, number> = { pass: 0, fail: 1, error: 3 };

/** What reattach finds of a run after a "restart": alive or gone, and the events it had written. */
export interface Survivor {
  alive: boolean;
  events: Array<Record<string, unknown>>;
  onStop?: 'report' | 'ignore';
  /** A run that goes on without the server (a remote build): recovery follows it again. */
  detached?: boolean;
}

export class FakeExecution implements Reattached {
  static next = 1000;
  readonly pid = FakeExecution.next++;
  /** What the run was told, in order: SIGTERM for a stop, SIGKILL for a kill. */
  readonly signals: string[] = [];
  readonly files: RunFolder;
  /** What the run does when asked to stop: tear down and report (default), or ignore it. */
  onStop: 'report' | 'ignore' = 'report';
  readonly ended: Promise<ExecutionEnd>;
  private readonly stream = new EventStream();
  private seq = 0;
  private end!: (e: ExecutionEnd) => void;
  /** Set for a run that goes on without the server; `detachedFrom` counts the shutdowns that let go of it. */
  detached?: { detach(): void };
  detachedFrom = 0;

  constructor(
    readonly run: RunRecord,
    storeDir: string,
    readonly alive = true,
  ) {
    this.files = runFolder(storeDir, run.id);
    mkdirSync(this.files.dir, { recursive: true });
    this.ended = new Promise((resolve) => {
      this.end = resolve;
    });
  }

  onEvent(listener: (event: RunEventLine) => void): () => void {
    return this.stream.onEvent(listener);
  }

  emit(event: Record<string, unknown>): void {
    this.stream.push({ runId: this.run.id, seq: ++this.seq, at: new Date().toISOString(), ...event } as RunEventLine);
  }

  finish(verdict: Verdict, error?: { code: string; message: string }, code = exitCodes[verdict]): void {
    const level = verdict === 'pass' ? 5 : 0;
    const results = { verdict, level, headSha: 'abc123', error, durationMs: 1000, stages: [] };
    mkdirSync(this.files.artifacts, { recursive: true });
    writeFileSync(join(this.files.artifacts, 'results.json'), JSON.stringify(results));
    this.emit({ type: 'run-finished', exitCode: code, results });
    setTimeout(() => this.end({ code, signal: null }), 10);
  }

  /**
   * Ends without results or a run-finished event (a child that crashed, or was gone already);
   * with `error`, the executor says why (a remote build lost).
   */
  vanish(error?: { code: ErrorCode; message: string }): void {
    this.end({ code: null, signal: null, error });
  }

  stop(reason: StopReason): void {
    this.signals.push('SIGTERM');
    // As the local executor does: the reason first, for the run to report.
    writeStopReason(this.files, reason);
    if (this.onStop === 'ignore') return;
    this.emit({ type: 'app-released', domain: 'x', kept: false, left: [] });
    this.finish('error', reason);
  }

  kill(): void {
    this.signals.push('SIGKILL');
    setTimeout(() => this.end({ code: null, signal: 'SIGKILL' }), 10);
  }
}

export class FakeExecutor implements Executor {
  /** Every run started, in order. */
  readonly started: FakeExecution[] = [];
  /** Every run found again after a "restart", by run id. */
  readonly reattached = new Map<string, FakeExecution>();
  /** Prepares what reattach finds for a run: alive or gone, with the events it had written. */
  readonly survivors = new Map<string, Survivor>();

  constructor(private readonly storeDir: string) {}

  start(run: RunRecord): Execution {
    const execution = new FakeExecution(run, this.storeDir);
    this.started.push(execution);
    return execution;
  }

  reattach(run: RunRecord): Reattached {
    const survivor = this.survivors.get(run.id) ?? { alive: false, events: [] };
    const execution = new FakeExecution(run, this.storeDir, survivor.alive);
    execution.onStop = survivor.onStop ?? 'report';
    if (survivor.detached) execution.detached = { detach: () => void execution.detachedFrom++ };
    for (const e of survivor.events) execution.emit(e);
    if (!survivor.alive) execution.vanish();
    this.reattached.set(run.id, execution);
    return execution;
  }
}
