// Commit statuses of default-branch runs (push, sweep, and API or re-run runs of an enrolled
// repository's branch): the commit a run tests gets the `cc-ci` status when the run starts and
// when it ends, the same status a PR run sets (src/report/commit-status.ts), linking the run page.
// A commit the run has not pinned (an API run of a branch) gets its status at the end, once the
// run names the commit it tested. What was sent last is kept in the store, so nothing is sent
// twice; a final status the forge did not take is tried again after a growing pause and at
// serve's next start.
import type { Config } from '../config/load-config.js';
import type { EnrolledRepos } from '../config/enrolment.js';
import { enrolledRepoOfRun } from '../config/enrolled.js';
import { RetryLater } from '../forge/retry-later.js';
import type { ForgeClient } from '../forge/types.js';
import type { Logger } from '../log/create-logger.js';
import { systemClock, type Clock } from '../model/clock.js';
import { errorMessage } from '../model/errors.js';
import { isTerminal } from '../model/run.js';
import type { RunControl } from '../queue/run-control.js';
import type { RunStore } from '../queue/store.js';
import { runStatus } from '../report/commit-status.js';

export interface BranchStatusesDeps {
  config: Config;
  store: RunStore;
  runs: Pick<RunControl, 'onChange'>;
  forge: Pick<ForgeClient, 'setStatus'>;
  log: Logger;
  /** The first pause before a final status is tried again (default 30 s). */
  retryMs?: number;
  clock?: Clock;
  /** The enrolled repositories now (serve's live set: forge.repos and its orgs' recipes). */
  enrolled?: Pick<EnrolledRepos, 'list'>;
}

export class BranchStatuses {
  /** One status at a time per run, in order. */
  private readonly sending = new Map<string, Promise<void>>();
  private readonly retries: RetryLater;
  private readonly publicUrl: string;
  private readonly stopListening: () => void;

  constructor(private readonly deps: BranchStatusesDeps) {
    this.publicUrl = deps.config.dashboard.publicUrl.replace(/\/$/, '');
    this.retries = new RetryLater({ clock: deps.clock ?? systemClock, firstMs: deps.retryMs });
    this.stopListening = deps.runs.onChange(({ run, event }) => {
      // The start and the end: a stage or a log line changes nothing on the commit.
      if (event || run.pr !== undefined || !(run.state === 'running' || isTerminal(run))) return;
      if (enrolledRepoOfRun(deps.config, run, deps.enrolled?.list())) this.update(run.id);
    });
  }

  /** At serve's start: final statuses a stop or a forge that was down left unsent. */
  resume(): void {
    for (const runId of this.deps.store.unfinishedBranchStatuses()) this.update(runId);
  }

  close(): void {
    this.stopListening();
    this.retries.close();
  }

  async settled(): Promise<void> {
    while (this.sending.size > 0) await Promise.all([...this.sending.values()]);
  }

  update(runId: string): void {
    const before = this.sending.get(runId) ?? Promise.resolve();
    const next = before
      .then(() => this.send(runId))
      .then(() => this.retries.done(runId))
      .catch((err: unknown) => {
        const run = this.deps.store.getRun(runId);
        const again =
          run && isTerminal(run)
            ? this.retries.schedule(runId, () => this.update(runId))
            : "it is set at the run's end";
        this.deps.log.warn(
          { runId },
          `the commit status of run ${runId} could not be set: ${errorMessage(err)}; ${again}`,
        );
      })
      .finally(() => {
        if (this.sending.get(runId) === next) this.sending.delete(runId);
      });
    this.sending.set(runId, next);
  }

  private async send(runId: string): Promise<void> {
    const { store } = this.deps;
    const run = store.getRun(runId);
    const repo = run && enrolledRepoOfRun(this.deps.config, run, this.deps.enrolled?.list());
    if (!run || !repo) return;
    const kept = store.branchStatus(runId);
    if (kept?.final) return;
    const final = isTerminal(run);
    // Noted before the request: a final status that fails is found again at the next start.
    if (!kept) store.saveBranchStatus(runId, { repo, sent: '', final: false });
    const newer = run.supersededBy ? store.getRun(run.supersededBy) : undefined;
    // A superseded run leaves the context to the run that replaced it when that one tests the same commit.
    const leave = run.state === 'superseded' && (!newer || newer.sha === run.sha);
    if (!run.sha || leave) {
      if (final) store.saveBranchStatus(runId, { repo, sent: kept?.sent ?? '', final: true });
      return;
    }
    const status = runStatus(run, this.publicUrl);
    const sent = `${status.state} ${status.description} ${run.sha}`;
    if (sent !== kept?.sent) await this.deps.forge.setStatus(repo, run.sha, status);
    store.saveBranchStatus(runId, { repo, sent, final });
  }
}
