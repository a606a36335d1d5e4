// `cc-ci serve`'s retry of the teardowns that runs could not finish: while an ended run's lease
// records apps it left behind (its teardown met a Docker that did not answer, say), the janitor is
// run over those apps every 20 s, so they are gone within a minute of Docker answering again.
// One pass at a time; a pass that fails (Docker still away) is logged and tried again.
import { systemClock, type Clock, type Timer } from '../model/clock.js';
import { errorMessage } from '../model/errors.js';
import type { JanitorReport } from './janitor.js';
import { leftBehindApps, scanLeases } from './lease.js';

export const LEFT_BEHIND_RETRY_MS = 20_000;

export interface LeftBehindReaperOptions {
  store: string;
  /** The janitor over these apps only (they are reaped whatever their age). */
  reap: (domains: string[]) => Promise<JanitorReport>;
  log: { info: (line: string) => void; warn: (line: string) => void };
  clock?: Clock;
  intervalMs?: number;
}

export interface LeftBehindReaper {
  /** No pass starts after this; resolves when the pass under way, if any, has ended. */
  stop(): Promise<void>;
}

/** Starts with a pass at once, then one every intervalMs after the last one ended. */
export function startLeftBehindReaper(opts: LeftBehindReaperOptions): LeftBehindReaper {
  const clock = opts.clock ?? systemClock;
  const intervalMs = opts.intervalMs ?? LEFT_BEHIND_RETRY_MS;
  let stopped = false;
  let timer: Timer | undefined;
  let running: Promise<void> = Promise.resolve();

  const pass = async (): Promise<void> => {
    let apps: string[] = [];
    try {
      apps = leftBehindApps(scanLeases(opts.store, clock.now().getTime()));
      if (apps.length === 0) return;
      const report = await opts.reap(apps);
      const gone = report.reaped.filter((r) => r.left.length === 0).map((r) => r.domain);
      const notYet = apps.filter((domain) => !gone.includes(domain));
      if (gone.length > 0) opts.log.info(`reaped apps that ended runs had left behind: ${gone.join(', ')}`);
      if (notYet.length > 0)
        opts.log.warn(
          `apps that ended runs left behind are not gone yet: ${notYet.join(', ')}; ` +
            `trying again in ${Math.round(intervalMs / 1000)} s`,
        );
    } catch (err) {
      opts.log.warn(
        `could not reap the apps that ended runs left behind (${apps.join(', ') || 'not read yet'}): ` +
          `${errorMessage(err)}; ` +
          `trying again in ${Math.round(intervalMs / 1000)} s (is Docker answering at swarm.dockerHost?)`,
      );
    }
  };

  const tick = (): void => {
    if (stopped) return;
    running = pass().finally(() => {
      if (!stopped) timer = clock.after(intervalMs, tick);
    });
  };
  tick();

  return {
    async stop() {
      stopped = true;
      timer?.cancel();
      await running;
    },
  };
}
