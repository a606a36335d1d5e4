// `cc-ci serve`'s retention: one prune at start, then one a day (through the Clock, so a test moves
// the time). A prune that fails is logged and tried again the next day.
import type { Clock, Timer } from '../model/clock.js';
import { errorMessage } from '../model/errors.js';
import type { RetentionPolicy } from '../model/retention.js';
import { pruneRuns, type PruneReport } from './prune.js';
import type { RunStore } from './store.js';

export const PRUNE_INTERVAL_MS = 86_400_000;

export interface PrunerOptions {
  store: RunStore;
  storeDir: string;
  policy: RetentionPolicy;
  clock: Clock;
  log: { info: (line: string) => void; warn: (line: string) => void };
}

export interface Pruner {
  stop(): void;
}

export function startPruner(opts: PrunerOptions): Pruner {
  let timer: Timer | undefined;
  let stopped = false;
  const tick = (): void => {
    if (stopped) return;
    try {
      opts.log.info(describePrune(pruneRuns({ ...opts, now: opts.clock.now() }), opts.policy));
    } catch (err) {
      opts.log.warn(
        `retention: could not prune old run folders: ${errorMessage(err)}; ` +
          'trying again in a day (check that the store folder is writable)',
      );
    }
    timer = opts.clock.after(PRUNE_INTERVAL_MS, tick);
  };
  tick();
  return {
    stop() {
      stopped = true;
      timer?.cancel();
    },
  };
}

/** One line for the log and for `cc-ci store prune`. */
export function describePrune(report: PruneReport, policy: RetentionPolicy): string {
  const verb = report.dryRun ? 'would prune' : 'pruned';
  const which = report.runs.length > 0 ? `: ${report.runs.join(', ')}` : '';
  return (
    `retention: ${verb} the folders of ${report.runs.length} run(s), ${report.bytes} bytes ` +
    `(finished over ${policy.days} days ago, beyond the newest ${policy.keepPerRecipe} of their recipe, ` +
    `not a recipe's latest branch run)${which}`
  );
}
