// Crash recovery when `serve` starts (DESIGN §7: kill -9 loses no run record). Every run the
// store still calls `running` belonged to a server that died. Its executor finds it again: if it
// still goes, it is told why and stopped, and its teardown is awaited (killed after the budget).
// Each such run ends `interrupted` with the reason, its stage rows recovered from its events;
// then the janitor reaps whatever of the apps those runs claimed is still on the swarm. Only
// theirs: another cc-ci on the same swarm (another store, whose leases this server cannot see)
// may be running apps right now; other orphans wait for `cc-ci janitor` and its max age. A run
// that goes on without the server (a remote build: its runner host tears it down) is not stopped
// but followed again.
import type { Executor, Reattached } from '../executors/executor.js';
import type { Logger } from '../log/create-logger.js';
import { systemClock, type Clock } from '../model/clock.js';
import { errorMessage } from '../model/errors.js';
import type { RunEventLine } from '../model/run-events.js';
import type { RunRecord } from '../model/run.js';
import type { RunStore } from './store.js';

export interface RecoverDeps {
  store: RunStore;
  executor: Executor;
  log: Logger;
  teardownBudgetMs: number;
  /** The janitor at max-age 0 over these apps (domains) if no live lease owns them. */
  reapOrphans: (domains: string[]) => Promise<void>;
  /** Follows again a run that goes on without the server (a remote build): the scheduler's adopt. */
  adopt: (run: RunRecord, execution: Reattached) => void;
  clock?: Clock;
}

export async function recoverRuns(deps: RecoverDeps): Promise<string[]> {
  const { store, log } = deps;
  const clock = deps.clock ?? systemClock;
  const claimed: string[] = [];
  const orphans: Array<{ run: RunRecord; execution: Reattached }> = [];
  for (const run of store.inState('running')) {
    const execution = deps.executor.reattach(run);
    // A remote build goes on by itself: follow it again (if it ended meanwhile, its events say how).
    if (execution.detached && execution.alive) deps.adopt(run, execution);
    else orphans.push({ run, execution });
  }
  await Promise.all(
    orphans.map(async ({ run, execution }) => {
      const events: RunEventLine[] = [];
      execution.onEvent((e) => events.push(e));
      const where = run.currentStage ? `during ${run.currentStage}` : 'while it ran';
      let how = 'its child was already gone';
      if (execution.alive) {
        log.warn(
          { runId: run.id, pid: execution.pid },
          `run ${run.id} outlived the server that started it: stopping it and awaiting its teardown`,
        );
        execution.stop({ code: 'CANCELLED', message: 'the server restarted while the run was going' });
        how = (await stopsWithin(execution, deps.teardownBudgetMs, clock))
          ? 'it was stopped and tore down'
          : 'it did not stop in time and was killed';
      }
      await execution.ended;
      for (const e of events) {
        if (e.type === 'stage-finished') store.recordStage(run.id, e.result);
        if (e.type === 'app-claimed') claimed.push(e.domain);
      }
      const error = { code: 'INTERRUPTED' as const, message: `the server stopped ${where}; ${how}` };
      store.finishRun(run.id, { state: 'interrupted', error }, clock.now());
      log.warn({ runId: run.id }, `run ${run.id} interrupted: ${how}`);
    }),
  );
  try {
    if (claimed.length > 0) await deps.reapOrphans(claimed);
  } catch (err) {
    log.error(`the janitor failed after recovery: ${errorMessage(err)}`);
  }
  return orphans.map(({ run }) => run.id);
}

/** Waits for a stopped run to end; kills it after the budget. True when it ended by itself. */
async function stopsWithin(execution: Reattached, budgetMs: number, clock: Clock): Promise<boolean> {
  let timer: { cancel(): void } | undefined;
  const inTime = await Promise.race([
    execution.ended.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = clock.after(budgetMs, () => resolve(false));
    }),
  ]);
  timer?.cancel();
  if (!inTime) execution.kill();
  return inTime;
}
