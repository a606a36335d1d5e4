// Crash recovery when `serve` starts (DESIGN §7: kill -9 loses no run record). Every run the
// store still calls `running` belonged to a server that died. If its child is still alive (the
// pid of its live lease), it is told why and stopped, and its teardown is awaited (SIGKILL after
// the budget). Each such run ends `interrupted` with the reason, its stage rows recovered from
// its events file; then the janitor reaps whatever of those runs' apps is still on the swarm.
// Only theirs: another cc-ci on the same swarm (another store, whose leases this server cannot
// see) may be running apps right now; other orphans wait for `cc-ci janitor` and its max age.
import { existsSync, readFileSync } from 'node:fs';
import { errorMessage } from '../model/errors.js';
import { scanLeases } from '../apps/lease.js';
import { signalGroup } from '../process/process-group.js';
import { pidAlive } from '../process/run-child.js';
import type { Logger } from '../log/create-logger.js';
import { parseEvents } from '../model/run-events.js';
import { runFolder, writeStopReason } from '../model/run-folder.js';
import type { RunStore } from './store.js';

export interface RecoverDeps {
  store: RunStore;
  /** The config's store folder (runs/, leases/). */
  storeDir: string;
  log: Logger;
  teardownBudgetMs: number;
  /** The janitor at max-age 0 over these apps (domains) if no live lease owns them. */
  reapOrphans: (domains: string[]) => Promise<void>;
}

export async function recoverRuns(deps: RecoverDeps): Promise<string[]> {
  const { store, log } = deps;
  const orphans = store.inState('running');
  const leases = scanLeases(deps.storeDir).leases;
  const claimed: string[] = [];
  await Promise.all(orphans.map(async (run) => {
    const folder = runFolder(deps.storeDir, run.id);
    const lease = leases.find((l) => l.runId === run.id && l.live);
    const where = run.currentStage ? `during ${run.currentStage}` : 'while it ran';
    let how = 'its child was already gone';
    if (lease) {
      log.warn({ runId: run.id, pid: lease.pid }, `run ${run.id} outlived the server that started it: stopping it and awaiting its teardown`);
      try {
        writeStopReason(folder, { code: 'CANCELLED', message: 'the server restarted while the run was going' });
      } catch { /* the run reports a plain cancel */ }
      signalGroup(lease.pid, 'SIGTERM');
      how = await awaitExit(lease.pid, deps.teardownBudgetMs) ? 'it was stopped and tore down' : 'it did not stop in time and was killed';
    }
    for (const e of readEventsOf(folder.events)) {
      if (e.type === 'stage-finished') store.recordStage(run.id, e.result);
      if (e.type === 'app-claimed') claimed.push(e.domain);
    }
    store.finishRun(run.id, { state: 'interrupted', error: { code: 'INTERRUPTED', message: `the server stopped ${where}; ${how}` } });
    log.warn({ runId: run.id }, `run ${run.id} interrupted: ${how}`);
  }));
  try {
    if (claimed.length > 0) await deps.reapOrphans(claimed);
  } catch (err) {
    log.error(`the janitor failed after recovery: ${errorMessage(err)}`);
  }
  return orphans.map((r) => r.id);
}

/** Waits for a process to end; SIGKILL to its group after the budget. True when it ended by itself. */
async function awaitExit(pid: number, budgetMs: number): Promise<boolean> {
  const deadline = Date.now() + budgetMs;
  while (Date.now() < deadline) {
    if (!pidAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  signalGroup(pid, 'SIGKILL');
  for (let i = 0; i < 50 && pidAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  return false;
}

function readEventsOf(file: string) {
  return existsSync(file) ? parseEvents(readFileSync(file, 'utf8')) : [];
}
