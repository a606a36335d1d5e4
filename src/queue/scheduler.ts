// The queue: runner.capacity runs at once, first come first served and fair between recipes, runs
// of scheduled sweeps after all others; a new run for the same recipe and PR supersedes older
// ones, and a push run the older push and sweep runs of its branch; cancel asks the child to stop (it
// tears down), escalates to SIGKILL after the teardown budget and then reaps the run's apps; a
// backstop timeout sits on top of the child's own runTimeout. A drain (an upgrade's stop) starts
// no new run but lets the running ones finish up to a limit, then stops the rest. Each run is
// followed through the events its executor hands over; the store is updated as it goes, and
// listeners (pages, the forge bridge) hear it. Runs are started, stopped and killed only through the Executor.
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import type { Config } from '../config/load-config.js';
import { CcciError, errorMessage, type ErrorInfo, type StopCode } from '../model/errors.js';
import type { Execution, ExecutionEnd, Executor } from '../executors/executor.js';
import type { Logger } from '../log/create-logger.js';
import { systemClock, type Clock, type Timer } from '../model/clock.js';
import type { RunResults } from '../model/results.js';
import type { RunEventLine } from '../model/run-events.js';
import { newRunId, runFolder, type RunFolder } from '../model/run-folder.js';
import type { RunChange, RunControl } from './run-control.js';
import { inQueueOrder, type RunRecord, type TriggeredRequest, type RunState } from '../model/run.js';
import type { RunStore } from './store.js';

export interface SchedulerDeps {
  store: RunStore;
  executor: Executor;
  config: Config;
  log: Logger;
  /** Tears down the given test apps that no live run owns (the janitor at max-age 0). */
  reap: (domains: string[]) => Promise<void>;
  /** How long a stopped run may take to tear down before it is killed. */
  teardownBudgetMs: number;
  newId?: () => string;
  clock?: Clock;
}

interface Active {
  execution: Execution;
  /** Stops listening to the run's events. */
  unfollow: () => void;
  /** Apps the run claimed (its app-claimed events) and has not released: what a kill leaves for the janitor. */
  apps: Set<string>;
  stopping?: { code: StopCode; message: string; state?: RunState; killTimer?: Timer };
  backstop: Timer;
  /** Resolves once the run has ended and the store says how. */
  done?: Promise<void>;
}

export class Scheduler implements RunControl {
  private readonly active = new Map<string, Active>();
  private readonly emitter = new EventEmitter();
  /** No new run starts: a drain or a shutdown is under way. */
  private draining = false;
  /** While a drain waits for the running runs: when it gives up, and how to end the wait early. */
  private drainWait?: { until: Date; end: () => void };
  private readonly clock: Clock;

  constructor(private readonly deps: SchedulerDeps) {
    this.emitter.setMaxListeners(0);
    this.clock = deps.clock ?? systemClock;
  }

  /** Listens to every change of every run. */
  onChange(listener: (change: RunChange) => void): () => void {
    this.emitter.on('change', listener);
    return () => this.emitter.off('change', listener);
  }

  runFiles(id: string): RunFolder {
    return runFolder(this.deps.config.store, id);
  }

  /** Queues a run (already validated); older queued or running runs of the same recipe and PR are superseded. */
  enqueue(req: TriggeredRequest): RunRecord {
    const id = this.deps.newId?.() ?? newRunId(this.clock.now());
    const older = this.supersededBy(req);
    const run = this.deps.store.insertRun(id, req, this.clock.now());
    mkdirSync(this.runFiles(id).dir, { recursive: true });
    this.deps.log.info(
      { runId: id, recipe: req.recipe, ref: req.ref, pr: req.pr, by: req.trigger.by },
      `queued run ${id}: ${req.recipe} at ${req.ref}`,
    );
    this.changed(run);
    for (const old of older) {
      this.deps.store.setSupersededBy(old.id, id);
      void this.stop(old.id, 'SUPERSEDED', `superseded by run ${id}`);
    }
    this.pump();
    return this.deps.store.getRun(id) ?? run;
  }

  /**
   * The runs a new request supersedes: older runs of the same recipe and PR; for a push to the
   * default branch, the older push and sweep runs of the same recipe and branch (a newer head
   * makes them moot). Runs an admin asked for are never superseded by a push.
   */
  private supersededBy(req: TriggeredRequest): RunRecord[] {
    if (req.pr !== undefined) return this.deps.store.activeForPr(req.recipe, req.pr);
    if (req.trigger.kind !== 'push') return [];
    return this.deps.store
      .activeBranchRuns(req.recipe)
      .filter((r) => r.ref === req.ref && (r.trigger.kind === 'push' || r.trigger.kind === 'sweep'));
  }

  /** Cancels a queued or running run; a running one tears down first. */
  async cancel(id: string, message = 'cancelled'): Promise<RunRecord | undefined> {
    await this.stop(id, 'CANCELLED', message);
    return this.deps.store.getRun(id);
  }

  /** 1-based place among queued runs, or undefined when not queued. */
  queuePosition(id: string): number | undefined {
    const i = inQueueOrder(this.deps.store.inState('queued')).findIndex((r) => r.id === id);
    return i >= 0 ? i + 1 : undefined;
  }

  runningCount(): number {
    return this.active.size;
  }

  runningWhere(): Array<{ executor: string; host: string }> {
    const executor = this.deps.config.runner.executor;
    return [...this.active.values()].map((a) => ({ executor, host: a.execution.host?.() ?? 'local' }));
  }

  /** Starts queued runs while there is capacity, the recipe with fewest running runs first. */
  pump(): void {
    if (this.draining) return;
    const capacity = this.deps.config.runner.capacity;
    while (this.active.size < capacity) {
      const next = this.pickNext();
      if (!next) return;
      this.launch(next);
    }
  }

  /**
   * Starts no new run and waits up to `limitMs` for the running ones to finish on their own; then
   * stops whatever still runs as shutdown does. Queued runs stay queued in the store, for the next
   * serve. A shutdown during the drain ends the wait at once.
   */
  async drain(reason: string, limitMs: number): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    if (this.active.size > 0) {
      const until = new Date(this.clock.now().getTime() + limitMs);
      await new Promise<void>((resolve) => {
        const limit = this.clock.after(limitMs, () => {
          const left = countRuns(this.active.size);
          this.deps.log.warn(
            { running: this.active.size },
            `draining: the limit of ${minutes(limitMs)} min is up; stopping ${left} still going`,
          );
          resolve();
        });
        this.drainWait = {
          until,
          end: () => {
            limit.cancel();
            resolve();
          },
        };
        this.logDraining();
      });
      this.drainWait = undefined;
    }
    await this.shutdown(reason);
  }

  /** While a drain waits: how many runs it waits for and until when; undefined otherwise. */
  drainState(): { running: number; until: Date } | undefined {
    return this.drainWait ? { running: this.active.size, until: this.drainWait.until } : undefined;
  }

  /**
   * Stops every running run (server shutdown): each tears down and ends `interrupted`. A run that
   * goes on without the server (a remote build) is only no longer followed: it stays `running`,
   * and the next start follows it again.
   */
  async shutdown(reason: string): Promise<void> {
    this.draining = true;
    this.drainWait?.end();
    for (const [id, active] of [...this.active]) {
      if (!active.execution.detached) continue;
      active.unfollow();
      active.backstop.cancel();
      active.execution.detached.detach();
      this.active.delete(id);
      this.deps.log.info({ runId: id }, `run ${id} goes on without the server; its next start follows it again`);
    }
    await Promise.all([...this.active.keys()].map((id) => this.stop(id, 'CANCELLED', reason, 'interrupted')));
  }

  private pickNext(): RunRecord | undefined {
    const queued = this.deps.store.inState('queued');
    if (queued.length === 0) return undefined;
    const runningPerRecipe = new Map<string, number>();
    for (const id of this.active.keys()) {
      const r = this.deps.store.getRun(id);
      if (r) runningPerRecipe.set(r.recipe, (runningPerRecipe.get(r.recipe) ?? 0) + 1);
    }
    // Runs someone asked for (a PR, the API, a re-run) and push runs before sweep runs; then oldest
    // first, except that a recipe already running waits behind one that is not.
    const rank = (r: RunRecord) => [r.trigger.kind === 'sweep' ? 1 : 0, runningPerRecipe.get(r.recipe) ?? 0];
    let best: RunRecord | undefined;
    for (const r of queued) {
      if (!best) best = r;
      else {
        const [a, b] = [rank(r), rank(best)];
        if (a[0]! < b[0]! || (a[0] === b[0] && a[1]! < b[1]!)) best = r;
      }
    }
    return best;
  }

  private launch(run: RunRecord): void {
    let execution: Execution;
    try {
      execution = this.deps.executor.start(run);
    } catch (err) {
      this.finish(run.id, {
        state: 'errored',
        error: { code: 'INTERNAL', message: `the run could not be started: ${errorMessage(err)}` },
      });
      return;
    }
    this.deps.store.markRunning(run.id, execution.pid, this.clock.now());
    this.follow(run.id, execution, this.deps.config.runner.runTimeout);
    this.deps.log.info({ runId: run.id, pid: execution.pid }, `started run ${run.id}`);
    this.changed(this.deps.store.getRun(run.id)!);
  }

  /**
   * Follows a run that went on while the server was down (a remote build found again at start):
   * it counts against capacity and ends like any other, its backstop what is left of its time.
   */
  adopt(run: RunRecord, execution: Execution): void {
    const started = run.startedAt ? new Date(run.startedAt).getTime() : this.clock.now().getTime();
    const left = Math.max(0, started + this.deps.config.runner.runTimeout - this.clock.now().getTime());
    this.follow(run.id, execution, left);
    this.deps.log.info({ runId: run.id }, `following run ${run.id} again: it went on while the server was down`);
  }

  private follow(id: string, execution: Execution, timeLeftMs: number): void {
    const active: Active = {
      execution,
      apps: new Set(),
      unfollow: () => undefined,
      // The run stops itself at runTimeout; this catches a run that cannot.
      backstop: this.clock.after(
        timeLeftMs + this.deps.teardownBudgetMs,
        () => void this.stop(id, 'TIMED_OUT', 'the run outlived runner.runTimeout and the server stopped it'),
      ),
    };
    this.active.set(id, active);
    active.unfollow = execution.onEvent((e) => this.onEvent(id, e));
    active.done = execution.ended.then((end) => this.onExit(id, end));
  }

  private onEvent(id: string, e: RunEventLine): void {
    const active = this.active.get(id);
    const { store } = this.deps;
    if (e.type === 'stage-started') store.setCurrentStage(id, e.stage);
    else if (e.type === 'stage-finished') store.recordStage(id, e.result);
    else if (e.type === 'app-claimed') active?.apps.add(e.domain);
    else if (e.type === 'app-released' && !e.kept) active?.apps.delete(e.domain);
    else if (e.type === 'run-finished') this.finishFromResults(id, e.results);
    const run = store.getRun(id);
    if (run) this.changed(run, e);
  }

  private async onExit(id: string, exit: ExecutionEnd): Promise<void> {
    const active = this.active.get(id);
    if (!active) return;
    // Every event was handed over before `ended` resolved.
    active.unfollow();
    active.backstop.cancel();
    active.stopping?.killTimer?.cancel();
    const run = this.deps.store.getRun(id);
    if (run && (run.state === 'queued' || run.state === 'running')) {
      // No run-finished event: the child died (killed, or crashed). Its apps are the janitor's.
      const results = exit.results;
      if (results) {
        this.finishFromResults(id, results);
      } else {
        // A remote run's apps are on its runner host: that host's janitor reaps them, not this one.
        const remote = active.execution.detached !== undefined;
        if (active.apps.size > 0 && !remote) {
          this.deps.log.warn(
            { runId: id, apps: [...active.apps] },
            `run ${id} ended without tearing down: reaping its apps`,
          );
          await this.deps
            .reap([...active.apps])
            .catch((err: unknown) => this.deps.log.error(`reaping the apps of run ${id} failed: ${errorMessage(err)}`));
        }
        const how = exit.signal ? `killed by ${exit.signal}` : `exit ${exit.code ?? '?'}`;
        const stop = active.stopping;
        this.finish(
          id,
          stop
            ? {
                state: stop.state ?? stateOfStop(stop.code),
                error: {
                  code: stop.code,
                  message:
                    `${stop.message} (the run did not stop in time and was killed; ` +
                    `${remote ? "its runner host's janitor reaps its apps" : 'its apps were reaped'})`,
                },
              }
            : {
                state: 'errored',
                error: exit.error ?? {
                  code: 'INTERNAL',
                  message: `the run ended without results (${how}); see child-output.txt`,
                },
              },
        );
      }
    }
    this.active.delete(id);
    if (this.drainWait) {
      if (this.active.size === 0) this.drainWait.end();
      else this.logDraining();
    }
    this.pump();
  }

  private logDraining(): void {
    const left = Math.max(0, (this.drainWait?.until.getTime() ?? 0) - this.clock.now().getTime());
    const going = `${countRuns(this.active.size)} still going, at most ${minutes(left)} min more`;
    this.deps.log.warn(
      { running: this.active.size, until: this.drainWait?.until.toISOString() },
      `draining: ${going}; send SIGTERM again to stop them now`,
    );
  }

  /** The outcome the child wrote, mapped to a run state; a stop's own reason wins over a plain cancel. */
  private finishFromResults(id: string, results: RunResults): void {
    const stop = this.active.get(id)?.stopping;
    let state = stateOfResults(results);
    let error = results.error as ErrorInfo | undefined;
    if (stop && state !== 'passed' && state !== 'failed') {
      state = stop.state ?? stateOfStop(stop.code);
      error = { code: stop.code, message: stop.message };
    }
    // An na the spec declared never had a stage-finished event: the results are where it is said.
    for (const stage of results.stages) if (stage.status === 'na') this.deps.store.recordStage(id, stage);
    this.finish(id, { state, verdict: results.verdict, level: results.level, sha: results.headSha, error });
  }

  private finish(id: string, end: Parameters<RunStore['finishRun']>[1]): void {
    if (this.deps.store.finishRun(id, end, this.clock.now())) {
      const run = this.deps.store.getRun(id)!;
      this.deps.log.info(
        { runId: id, state: run.state, verdict: run.verdict, code: run.error?.code },
        `run ${id} ${run.state}`,
      );
      this.changed(run);
    }
  }

  /**
   * Stops a run for a reason: a queued one ends at once; a running one is asked to stop with the
   * reason (its executor tells it why) and tears down; after the teardown budget it is killed and
   * its apps reaped.
   */
  private async stop(id: string, code: StopCode, message: string, finalState?: RunState): Promise<void> {
    const run = this.deps.store.getRun(id);
    if (!run) throw new CcciError('USAGE', `no run ${id}`);
    if (run.state === 'queued') {
      this.finish(id, { state: finalState ?? stateOfStop(code), error: { code, message } });
      return;
    }
    const active = this.active.get(id);
    if (run.state !== 'running' || !active) return;
    if (active.stopping) return active.done;
    const stopping: NonNullable<Active['stopping']> = { code, message, state: finalState };
    active.stopping = stopping;
    this.deps.log.info({ runId: id, code }, `stopping run ${id}: ${message}`);
    active.execution.stop({ code, message });
    stopping.killTimer = this.clock.after(this.deps.teardownBudgetMs, () => {
      this.deps.log.warn(
        { runId: id },
        `run ${id} did not tear down within ${Math.round(this.deps.teardownBudgetMs / 1000)} s: killing it`,
      );
      active.execution.kill();
    });
    await active.done;
  }

  private changed(run: RunRecord, event?: RunEventLine): void {
    this.emitter.emit('change', { run, event } satisfies RunChange);
  }
}

/** The state a finished run's results mean (DESIGN §3.6). */
export function stateOfResults(results: Pick<RunResults, 'verdict' | 'error'>): RunState {
  if (results.verdict === 'pass') return 'passed';
  if (results.verdict === 'fail') return 'failed';
  if (results.error?.code === 'CANCELLED') return 'cancelled';
  if (results.error?.code === 'SUPERSEDED') return 'superseded';
  return 'errored';
}

function countRuns(n: number): string {
  return n === 1 ? '1 run' : `${n} runs`;
}

function minutes(ms: number): number {
  return Math.ceil(ms / 60_000);
}

function stateOfStop(code: StopCode): RunState {
  return code === 'SUPERSEDED' ? 'superseded' : code === 'CANCELLED' ? 'cancelled' : 'errored';
}
