// Scheduled sweeps (DESIGN §3.1 `schedules:`): at each firing of a schedule's cron expression (read
// by croner, in the server's time zone), one run of the default branch of each recipe it names, or
// of every enrolled one, pinned to the head the forge names then. A recipe that already has a
// branch run queued or running is left out (a PR run says nothing of its default branch and does
// not count). The scheduler runs sweep runs after every other queued run. Each schedule's last
// firing is kept in the store: a firing missed while serve was down runs once at the next start;
// the very first start of a schedule only notes the time (nothing was missed yet).
import { Cron } from 'croner';
import type { EnrolledRepos } from '../config/enrolment.js';
import type { Config } from '../config/load-config.js';
import type { ForgeClient, RepoName } from '../forge/types.js';
import type { Logger } from '../log/create-logger.js';
import { errorMessage } from '../model/errors.js';
import { systemClock, type Clock, type Timer } from '../model/clock.js';
import { newRunId } from '../model/run-folder.js';
import type { RunControl } from '../queue/run-control.js';
import type { RunStore } from '../queue/store.js';

export type Schedule = Config['schedules'][number];

export interface SweeperDeps {
  schedules: readonly Schedule[];
  /** The enrolled repositories (owner/name) as they are at each firing: forge.repos and its orgs' recipes. */
  repos: Pick<EnrolledRepos, 'list'>;
  store: RunStore;
  runs: Pick<RunControl, 'enqueue'>;
  forge: Pick<ForgeClient, 'defaultBranchHead' | 'cloneUrl'>;
  log: Logger;
  clock?: Clock;
  newId?: () => string;
}

/** What a sweep did: the runs it queued and the recipes it left out, with why. */
export interface SweepOutcome {
  id?: string;
  queued: string[];
  skipped: Array<{ recipe: string; why: string }>;
}

/** A timer never waits longer than this at once (setTimeout cannot wait past 24.8 days): it wakes and waits again. */
const MAX_WAIT_MS = 24 * 3_600_000;

/** The store's name of a schedule: its cron expression and what it runs. */
export function scheduleKey(s: Schedule): string {
  return `${s.cron} → ${s.run === 'all' ? 'all' : s.run.join(',')}`;
}

export class Sweeper {
  private readonly clock: Clock;
  private readonly timers = new Map<string, Timer>();
  private stopped = false;
  private sweeping: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: SweeperDeps) {
    this.clock = deps.clock ?? systemClock;
  }

  /** Runs each schedule's missed firing (once), then waits for the next firings. */
  start(): void {
    this.stopped = false;
    for (const schedule of this.deps.schedules) {
      const key = scheduleKey(schedule);
      const cron = new Cron(schedule.cron, { paused: true });
      const now = this.clock.now();
      const last = this.deps.store.lastFiring(key);
      if (last === undefined) {
        this.deps.store.setLastFiring(key, now);
      } else {
        const due = cron.nextRun(new Date(last));
        if (due && due.getTime() <= now.getTime()) {
          this.deps.log.warn(
            { schedule: key, due: due.toISOString() },
            `the sweep "${key}" due at ${due.toISOString()} was missed while cc-ci was down: running it once now`,
          );
          this.enqueueSweep(schedule);
        }
      }
      this.arm(schedule, cron);
    }
  }

  /** Stops waiting; a sweep being queued finishes queuing. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    await this.sweeping;
  }

  /** Queues one sweep of a schedule now (the firing, or a missed one at start). */
  async sweep(schedule: Schedule): Promise<SweepOutcome> {
    const { store, log, forge } = this.deps;
    const key = scheduleKey(schedule);
    // Noted first: a stop while the heads are read does not make this firing a missed one.
    store.setLastFiring(key, this.clock.now());
    const outcome: SweepOutcome = { queued: [], skipped: [] };
    const heads: Array<{ repo: RepoName; recipe: string; branch: string; sha: string }> = [];
    const { repos, notEnrolled } = this.reposOf(schedule);
    for (const recipe of notEnrolled) outcome.skipped.push({ recipe, why: 'not an enrolled repository (forge.repos)' });
    for (const repo of repos) {
      const recipe = repo.split('/')[1] ?? repo;
      if (store.activeBranchRuns(recipe).length > 0) {
        outcome.skipped.push({ recipe, why: 'a run of it is already queued or running' });
        continue;
      }
      try {
        heads.push({ repo, recipe, ...(await forge.defaultBranchHead(repo)) });
      } catch (err) {
        outcome.skipped.push({ recipe, why: `the forge did not name its default branch's head: ${errorMessage(err)}` });
      }
    }
    // Checked again: a run may have been queued while the heads were read.
    const toQueue = heads.filter((h) => {
      if (store.activeBranchRuns(h.recipe).length === 0) return true;
      outcome.skipped.push({ recipe: h.recipe, why: 'a run of it is already queued or running' });
      return false;
    });
    if (toQueue.length > 0) {
      const id = this.deps.newId?.() ?? `sweep-${newRunId(this.clock.now())}`;
      outcome.id = id;
      store.insertSweep({ id, schedule: key, startedAt: this.clock.now(), total: toQueue.length });
      for (const h of toQueue) {
        this.deps.runs.enqueue({
          recipe: h.recipe,
          repo: forge.cloneUrl(h.repo),
          ref: h.branch,
          sha: h.sha,
          stages: [],
          keep: false,
          trigger: { kind: 'sweep', forgeRepo: h.repo, sweep: id },
        });
        outcome.queued.push(h.recipe);
      }
    }
    const left = outcome.skipped.map((s) => `${s.recipe} (${s.why})`).join('; ');
    log.info(
      { schedule: key, sweep: outcome.id, queued: outcome.queued, skipped: outcome.skipped },
      `sweep "${key}": ${outcome.queued.length} runs queued` + (left ? `; left out: ${left}` : ''),
    );
    return outcome;
  }

  /** The repositories a firing runs, read now; the names it lists that are not enrolled now. */
  private reposOf(schedule: Schedule): { repos: RepoName[]; notEnrolled: string[] } {
    const enrolled = this.deps.repos.list();
    if (schedule.run === 'all') return { repos: enrolled, notEnrolled: [] };
    const names = new Set(schedule.run);
    const repos = enrolled.filter((r) => names.has(r.split('/')[1] ?? r));
    const found = new Set(repos.map((r) => r.split('/')[1] ?? r));
    return { repos, notEnrolled: schedule.run.filter((n) => !found.has(n)) };
  }

  private enqueueSweep(schedule: Schedule): void {
    this.sweeping = this.sweeping
      .then(() => this.sweep(schedule))
      .catch((err: unknown) =>
        this.deps.log.error({ schedule: scheduleKey(schedule) }, `the sweep failed: ${errorMessage(err)}`),
      );
  }

  /** Waits for the schedule's next firing after now, sweeps, and waits again. */
  private arm(schedule: Schedule, cron: Cron): void {
    if (this.stopped) return;
    const key = scheduleKey(schedule);
    const next = cron.nextRun(this.clock.now());
    if (!next) return;
    const wait = Math.max(0, next.getTime() - this.clock.now().getTime());
    this.timers.set(
      key,
      this.clock.after(Math.min(wait, MAX_WAIT_MS), () => {
        if (this.stopped) return;
        if (this.clock.now().getTime() >= next.getTime()) this.enqueueSweep(schedule);
        this.arm(schedule, cron);
      }),
    );
  }
}
