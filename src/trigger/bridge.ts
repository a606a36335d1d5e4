// The forge bridge: a PR comment (from the poller or the webhook) becomes at most one run, ever;
// the run's reply comment and commit status follow the run. It only enqueues runs and listens to
// their changes: the queue does the rest. A run tests the commit that was the PR's head when the
// comment was written (DESIGN §3.3): it is pinned to the head read here, and a PR pushed to after
// the comment (the forge's push events against the comment's time) runs nothing.
import { isTerminal } from '../model/run.js';
import { createHash } from 'node:crypto';
import type { EnrolledRepos } from '../config/enrolment.js';
import type { Config } from '../config/load-config.js';
import { CcciError, errorMessage } from '../model/errors.js';
import type { PrComment } from '../forge/forge.js';
import type { ForgeClient, PrPush } from '../forge/types.js';
import type { Logger } from '../log/create-logger.js';
import { systemClock, type Clock } from '../model/clock.js';
import type { RunControl } from '../queue/run-control.js';
import type { RunStore } from '../queue/store.js';
import { runStatus } from '../report/commit-status.js';
import { renderComment } from '../report/pr-comment.js';
import { RetryLater } from '../forge/retry-later.js';
import { validateRecipeName, validateSha } from '../validate/input.js';
import { describeCommand, parseTrigger, usageText } from './grammar.js';
import { movedReply } from './moved-reply.js';
import { mayTrigger } from './trust.js';

/** A comment on a pull request, as the poller or the webhook saw it (forge-neutral). */
export type { PrComment } from '../forge/forge.js';

/**
 * `retry`: the forge did not answer; the comment is not claimed, so it is read again later.
 * `moved`: the PR was pushed to after the comment; nothing runs, the reply asks for a new one.
 */
export type CommentOutcome = 'duplicate' | 'ignored' | 'untrusted' | 'usage' | 'moved' | 'queued' | 'failed' | 'retry';

export interface BridgeDeps {
  config: Config;
  store: RunStore;
  runs: RunControl;
  forge: Pick<
    ForgeClient,
    'whoAmI' | 'getPull' | 'listPrPushes' | 'createComment' | 'editComment' | 'setStatus' | 'isOrgMember' | 'cloneUrl'
  >;
  log: Logger;
  /** Whether a repository is enrolled now (serve's live set); default: the ones forge.repos lists. */
  enrolled?: Pick<EnrolledRepos, 'has'>;
  /** The bot's login (its own comments never trigger); asked of the forge once when not given. */
  bot?: string;
  /** The first pause before a finished run's reply and final status are tried again (default 30 s). */
  finalRetryMs?: number;
  clock?: Clock;
}

export { STATUS_CONTEXT } from '../report/commit-status.js';

export class ForgeBridge {
  /** One update at a time per run, in order. */
  private readonly updating = new Map<string, Promise<void>>();
  /** Finished runs whose reply or final status failed, tried again on their own. */
  private readonly finalTries: RetryLater;
  private readonly clock: Clock;
  private readonly publicUrl: string;
  private readonly stopListening: () => void;
  private bot: string | undefined;

  constructor(private readonly deps: BridgeDeps) {
    this.publicUrl = deps.config.dashboard.publicUrl.replace(/\/$/, '');
    this.bot = deps.bot;
    this.clock = deps.clock ?? systemClock;
    this.finalTries = new RetryLater({ clock: this.clock, firstMs: deps.finalRetryMs });
    this.stopListening = deps.runs.onChange(({ run, event }) => {
      // Log lines and app events change nothing on the PR.
      if (event && !['stage-started', 'run-finished'].includes(event.type)) return;
      if (run.trigger.kind === 'forge') this.update(run.id);
      // A run queued or finished moves everyone's place in the queue.
      if (!event && (run.state === 'running' || isTerminal(run)))
        for (const q of deps.store.inState('queued')) if (q.trigger.kind === 'forge') this.update(q.id);
    });
  }

  close(): void {
    this.stopListening();
    this.finalTries.close();
  }

  /** Resolves when every pending update of the PR comments is done (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.updating.size > 0) await Promise.all([...this.updating.values()]);
  }

  /** Handles one comment; the store makes sure each comment id is acted on once, ever. */
  async handle(c: PrComment): Promise<CommentOutcome> {
    const { store, log } = this.deps;
    if (!store.claimComment(c.commentId, c.repo, c.pr, { deliveryId: c.deliveryId })) return 'duplicate';
    const note = (outcome: CommentOutcome, runId?: string) => {
      store.noteComment(c.commentId, outcome, runId);
      return outcome;
    };
    try {
      const cmd = parseTrigger(c.body);
      if (!cmd) return note('ignored');
      const enrolled = this.deps.enrolled
        ? this.deps.enrolled.has(c.repo.toLowerCase())
        : (this.deps.config.forge?.repos ?? []).includes(c.repo.toLowerCase());
      if (!enrolled) {
        log.info(
          { repo: c.repo, pr: c.pr },
          `ignored !testme on ${c.repo}#${c.pr}: the repository is not enrolled (forge.repos)`,
        );
        return note('ignored');
      }
      this.bot ??= (await this.deps.forge.whoAmI()).login ?? '';
      let forgeDown: unknown;
      const trust = await mayTrigger(c.user, {
        org: this.deps.config.forge?.org ?? '',
        allowlist: this.deps.config.forge?.allowlist ?? [],
        bot: this.bot,
        isOrgMember: (org, user) =>
          this.deps.forge.isOrgMember(org, user).catch((err: unknown) => {
            forgeDown = err;
            throw err;
          }),
      });
      // A forge that did not answer the membership question said nothing about the user.
      if (isUnreachable(forgeDown)) throw forgeDown;
      if (!trust.allowed) {
        log.info(
          { repo: c.repo, pr: c.pr, user: c.user, commentId: c.commentId },
          `ignored !testme by ${c.user} on ${c.repo}#${c.pr}: ${trust.why}`,
        );
        return note('untrusted');
      }
      if (cmd.kind === 'usage') {
        await this.deps.forge.createComment(c.repo, c.pr, `@${c.user} ${usageText(cmd.problem)}`);
        return note('usage');
      }
      const recipe = validateRecipeName(c.repo.split('/')[1] ?? '');
      const pull = await this.deps.forge.getPull(c.repo, c.pr);
      if (pull.state !== 'open') {
        await this.deps.forge.createComment(
          c.repo,
          c.pr,
          `@${c.user} this pull request is ${pull.state ?? 'not open'}: cc-ci tests open pull requests only.`,
        );
        return note('ignored');
      }
      // Read after the PR: a push after this read shows up in the events read next.
      const acceptedSha = validateSha(pull.head?.sha ?? '');
      const late = await this.pushesAfter(c);
      if (late.length > 0) {
        await this.deps.forge.createComment(c.repo, c.pr, movedReply(c, late, acceptedSha));
        log.info(
          { repo: c.repo, pr: c.pr, by: c.user, commentId: c.commentId },
          `!testme by ${c.user} on ${c.repo}#${c.pr} not started: the pull request was pushed to after the comment`,
        );
        return note('moved');
      }
      const run = this.deps.runs.enqueue({
        recipe,
        repo: this.deps.forge.cloneUrl(c.repo),
        ref: `refs/pull/${c.pr}/head`,
        sha: acceptedSha,
        pr: c.pr,
        stages: cmd.quick ? ['install'] : (cmd.stages ?? []),
        keep: cmd.keep,
        trigger: { kind: 'forge', by: c.user, forgeRepo: c.repo, commentId: c.commentId },
      });
      log.info(
        { runId: run.id, repo: c.repo, pr: c.pr, by: c.user },
        `!testme by ${c.user} on ${c.repo}#${c.pr} (${describeCommand(cmd)}): run ${run.id}`,
      );
      store.saveReply({ runId: run.id, repo: c.repo, pr: c.pr, acceptedSha });
      note('queued', run.id);
      this.update(run.id);
      return 'queued';
    } catch (err) {
      if (isUnreachable(err)) {
        // Not claimed after all: the poller reads it again once the forge answers.
        store.unclaimComment(c.commentId);
        log.warn(
          { repo: c.repo, pr: c.pr, commentId: c.commentId },
          `the forge did not answer while handling comment ${c.commentId} on ${c.repo}#${c.pr}: ` +
            `${errorMessage(err)}; it is handled when the forge answers again`,
        );
        return 'retry';
      }
      log.error(
        { repo: c.repo, pr: c.pr, commentId: c.commentId },
        `the !testme comment ${c.commentId} on ${c.repo}#${c.pr} could not be handled: ${errorMessage(err)}`,
      );
      return note('failed');
    }
  }

  /**
   * A finished run has no next change to bring its reply and final status along: it is tried again
   * on its own, after 30 s, 1, 2, 4 and 8 min (a forge that is down for longer, or refuses, is
   * caught up at the next start of serve). Says when.
   */
  private retryLater(runId: string): string {
    const run = this.deps.store.getRun(runId);
    if (!run || !isTerminal(run)) return "it is tried again at the run's next change";
    return this.finalTries.schedule(runId, () => this.update(runId));
  }

  /**
   * Pushes to the PR at or after the comment's time (the forge's clock on both; whole seconds, so
   * a push in the same second counts as after). A comment whose time cannot be read is treated as
   * older than every push.
   */
  private async pushesAfter(c: PrComment): Promise<PrPush[]> {
    const written = Date.parse(c.createdAt);
    const since = Number.isNaN(written) ? undefined : new Date(written).toISOString();
    const pushes = await this.deps.forge.listPrPushes(c.repo, c.pr, { since });
    return pushes.filter((p) => Number.isNaN(written) || !(Date.parse(p.at) < written));
  }

  /** Brings the run's reply comment and commit status up to date (queued per run, never concurrent). */
  update(runId: string): void {
    const previous = this.updating.get(runId) ?? Promise.resolve();
    const next = previous
      .then(() => this.sync(runId))
      .then(() => this.finalTries.done(runId))
      .catch((err: unknown) => {
        this.deps.log.warn(
          { runId },
          `the PR comment of run ${runId} could not be updated: ${errorMessage(err)}; ${this.retryLater(runId)}`,
        );
      })
      .finally(() => {
        if (this.updating.get(runId) === next) this.updating.delete(runId);
      });
    this.updating.set(runId, next);
  }

  private async sync(runId: string): Promise<void> {
    const { store, forge } = this.deps;
    const run = store.getRun(runId);
    const reply = store.getReply(runId);
    if (!run || !reply || reply.finalStatus) return;
    const body = renderComment({
      run,
      stages: store.stagesOf(runId),
      publicUrl: this.publicUrl,
      queuePosition: this.deps.runs.queuePosition(runId),
      acceptedSha: reply.acceptedSha,
      keepOff: run.keep && this.deps.config.runner.keepOnFailure === 0,
    });
    const status = runStatus(run, this.publicUrl);
    const final = isTerminal(run);
    // The run is pinned to the head seen at acceptance: every status goes on that commit.
    const sha = run.sha ?? reply.acceptedSha;
    // Nothing new to say (a log line, the same place in the queue): no request at all.
    const bodyHash = createHash('sha256').update(`${body}\n${status.state} ${status.description} ${sha}`).digest('hex');
    if (bodyHash === reply.bodyHash) return;
    let replyId = reply.replyId;
    if (replyId === undefined) {
      replyId = (await forge.createComment(reply.repo, reply.pr, body)).id;
      // Kept at once: should the status fail, the next try edits this reply instead of posting another.
      store.saveReply({ ...reply, replyId });
    } else {
      await forge.editComment(reply.repo, replyId, body);
    }
    // A superseded run leaves the context to the run that replaced it when that one is on the same commit.
    const newer = run.supersededBy ? store.getReply(run.supersededBy) : undefined;
    const skipStatus = run.state === 'superseded' && (!newer || newer.acceptedSha === sha);
    if (sha && !skipStatus) await forge.setStatus(reply.repo, sha, status);
    store.saveReply({ ...reply, replyId, bodyHash, finalStatus: final ? status.state : undefined });
  }

  /** Runs whose comment was never finished (a restart in between): bring them up to date. */
  resume(): void {
    for (const state of [
      'queued',
      'running',
      'passed',
      'failed',
      'errored',
      'cancelled',
      'superseded',
      'interrupted',
    ] as const) {
      for (const run of this.deps.store.listRuns({ state, limit: 200 })) {
        if (run.trigger.kind === 'forge' && !this.deps.store.getReply(run.id)?.finalStatus) this.update(run.id);
      }
    }
  }
}

function isUnreachable(err: unknown): boolean {
  return err instanceof CcciError && err.code === 'FORGE_UNREACHABLE';
}
