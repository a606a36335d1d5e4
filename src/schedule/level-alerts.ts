// Level-change alerts on the forge: when a default-branch run of an enrolled repository ends (the
// badge's runs: src/model/run.ts isDefaultBranchRun), the rule of src/report/level-alert.ts
// compares it with the default-branch run before it that was not an `error` and with the alert
// already open, and this follower acts on the recipe's repository: open an issue, edit it, or
// comment that the recipe is back and close it. The alert kept in the store names the issue and
// where the recipe stood before it dropped.
//
// Nothing is lost while the forge is down: each ended run is noted in the store first (the
// alert's work), handled in the order the runs ended, one recipe at a time, and forgotten only
// once its action went through; a failure is tried again after a growing pause and at serve's
// next start. An issue a maintainer closed by hand is forgotten: the next drop opens a new one.
import type { Config } from '../config/load-config.js';
import type { EnrolledRepos } from '../config/enrolment.js';
import { enrolledRepoOfRun } from '../config/enrolled.js';
import type { ForgeClient } from '../forge/types.js';
import { RetryLater } from '../forge/retry-later.js';
import type { Logger } from '../log/create-logger.js';
import { systemClock, type Clock } from '../model/clock.js';
import { errorMessage } from '../model/errors.js';
import { isDefaultBranchRun, isTerminal, type RunRecord } from '../model/run.js';
import type { RunControl } from '../queue/run-control.js';
import type { LevelAlertRow, RunStore } from '../queue/store.js';
import { decideLevelAlert, type LevelAlert, type Standing } from '../report/level-alert.js';

/** What the chat bridge is told (alerts.webhook). */
export interface LevelAlertEvent {
  event: 'level-dropped' | 'level-changed' | 'level-back';
  recipe: string;
  /** The forge repository, owner/name. */
  repo: string;
  verdict: string;
  level: number;
  /** The level compared with: where the recipe stood before the drop, or the run before this one. */
  previousLevel: number;
  runUrl: string;
  issueUrl?: string;
}

export interface LevelAlertsDeps {
  config: Config;
  store: RunStore;
  runs: Pick<RunControl, 'onChange'>;
  forge: Pick<ForgeClient, 'createIssue' | 'editIssue' | 'getIssue' | 'createComment'>;
  log: Logger;
  /** Told of each issue opened, updated or closed (the chat bridge's POST); never awaited. */
  notify?: (event: LevelAlertEvent) => void;
  /** The first pause before a failed alert is tried again (default 30 s). */
  retryMs?: number;
  clock?: Clock;
  /** The enrolled repositories now (serve's live set: forge.repos and its orgs' recipes). */
  enrolled?: Pick<EnrolledRepos, 'list'>;
}

export class LevelAlerts {
  /** Per recipe, the work under way: one recipe's runs are handled one at a time, in order. */
  private readonly working = new Map<string, Promise<void>>();
  private readonly retries: RetryLater;
  private readonly publicUrl: string;
  private readonly stopListening: () => void;

  constructor(private readonly deps: LevelAlertsDeps) {
    this.publicUrl = deps.config.dashboard.publicUrl.replace(/\/$/, '');
    this.retries = new RetryLater({ clock: deps.clock ?? systemClock, firstMs: deps.retryMs });
    this.stopListening = deps.runs.onChange(({ run, event }) => {
      if (event || !isTerminal(run) || !isDefaultBranchRun(run)) return;
      if (!enrolledRepoOfRun(deps.config, run, deps.enrolled?.list())) return;
      // Noted before anything is asked of the forge: a stop or a forge that is down loses nothing.
      deps.store.queueAlertWork(run.id, run.recipe);
      this.kick(run.recipe);
    });
  }

  /** At serve's start: the alerts a stop or a forge that was down left undone. */
  resume(): void {
    for (const recipe of new Set(this.deps.store.alertWork().map((w) => w.recipe))) this.kick(recipe);
  }

  close(): void {
    this.stopListening();
    this.retries.close();
  }

  /** Resolves when no alert work is under way (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.working.size > 0) await Promise.all([...this.working.values()]);
  }

  private kick(recipe: string): void {
    const before = this.working.get(recipe) ?? Promise.resolve();
    const next = before
      .then(() => this.drain(recipe))
      .then(() => this.retries.done(recipe))
      .catch((err: unknown) => {
        const again = this.retries.schedule(recipe, () => this.kick(recipe));
        this.deps.log.warn(
          { recipe },
          `the level alert of ${recipe} could not be sent: ${errorMessage(err)}; ${again}`,
        );
      })
      .finally(() => {
        if (this.working.get(recipe) === next) this.working.delete(recipe);
      });
    this.working.set(recipe, next);
  }

  private async drain(recipe: string): Promise<void> {
    for (const work of this.deps.store.alertWork(recipe)) {
      const run = this.deps.store.getRun(work.runId);
      if (run) await this.handle(run);
      this.deps.store.alertWorkDone(work.runId);
    }
  }

  private async handle(run: RunRecord): Promise<void> {
    const { store, forge, log } = this.deps;
    const repo = enrolledRepoOfRun(this.deps.config, run, this.deps.enrolled?.list());
    if (!repo || !run.verdict) return;
    const previous = store.previousStanding(run.id);
    let open = store.levelAlert(run.recipe);
    let decision = this.decide(run, previous, open);
    if (open && decision.action !== 'nothing') {
      const issue = await forge.getIssue(open.repo, open.issue);
      if (issue.state === 'closed') {
        log.info(
          { recipe: run.recipe, repo: open.repo, issue: open.issue },
          `${open.repo}#${open.issue} was closed by hand: cc-ci forgets it; the next drop opens a new issue`,
        );
        store.forgetLevelAlert(run.recipe);
        if (decision.action === 'close') return;
        open = undefined;
        decision = this.decide(run, previous, open);
      }
    }
    const runUrl = `${this.publicUrl}/runs/${run.id}`;
    const tell = (event: LevelAlertEvent['event'], compared: Standing | undefined, issueUrl?: string) =>
      this.deps.notify?.({
        event,
        recipe: run.recipe,
        repo,
        verdict: run.verdict!,
        level: run.level ?? 0,
        previousLevel: compared?.level ?? 0,
        runUrl,
        issueUrl,
      });
    switch (decision.action) {
      case 'nothing':
        log.debug({ recipe: run.recipe, runId: run.id }, `no level alert for run ${run.id}: ${decision.why}`);
        return;
      case 'open': {
        // A stop (kill -9) between this POST and the next line leaves an issue the store does not
        // know: the run's work is still noted, so the next start opens a second issue for the same
        // drop (the first stays open until closed by hand). In every other path one drop opens
        // one issue: the alert is saved before the next run's work is read.
        const issue = await forge.createIssue(repo, { title: decision.title, body: decision.body });
        const number = issue.number ?? 0;
        store.saveLevelAlert({ recipe: run.recipe, repo, issue: number, baseline: decision.baseline, runId: run.id });
        log.warn(
          { recipe: run.recipe, runId: run.id, repo, issue: number },
          `${repo}#${number} opened: ${decision.title}`,
        );
        tell('level-dropped', decision.baseline, issue.html_url);
        return;
      }
      case 'update': {
        const alert = open!;
        const issue = await forge.editIssue(alert.repo, alert.issue, { title: decision.title, body: decision.body });
        store.saveLevelAlert({ ...alert, runId: run.id });
        log.info({ recipe: run.recipe, runId: run.id, issue: alert.issue }, `${alert.repo}#${alert.issue} updated`);
        // The chat hears of a change only, not of each run that stays where the last one was.
        if (!previous || (previous.level ?? 0) !== (run.level ?? 0) || previous.verdict !== run.verdict)
          tell('level-changed', previous, issue.html_url);
        return;
      }
      case 'close':
        return this.closeAlert(run, open!, decision.comment, (url) => tell('level-back', open!.baseline, url));
    }
  }

  private async closeAlert(
    run: RunRecord,
    alert: LevelAlertRow,
    comment: string,
    told: (issueUrl?: string) => void,
  ): Promise<void> {
    const { store, forge, log } = this.deps;
    // The comment is noted once posted: a retry after a failed close does not post it twice.
    if (alert.backComment === undefined) {
      const posted = await forge.createComment(alert.repo, alert.issue, comment);
      alert = { ...alert, backComment: posted.id ?? 0 };
      store.saveLevelAlert(alert);
    }
    const issue = await forge.editIssue(alert.repo, alert.issue, { state: 'closed' });
    store.forgetLevelAlert(run.recipe);
    log.info(
      { recipe: run.recipe, runId: run.id, issue: alert.issue },
      `${alert.repo}#${alert.issue} closed: ${run.recipe} is back`,
    );
    told(issue.html_url);
  }

  private decide(run: RunRecord, previous: Standing | undefined, open: LevelAlertRow | undefined): LevelAlert {
    return decideLevelAlert({
      recipe: run.recipe,
      run: {
        id: run.id,
        verdict: run.verdict!,
        level: run.level,
        sha: run.sha,
        stages: this.deps.store.stagesOf(run.id),
      },
      previous,
      open: open && { baseline: open.baseline },
      publicUrl: this.publicUrl,
    });
  }
}
