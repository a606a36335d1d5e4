// The run store: SQLite through better-sqlite3 (synchronous, so a state change is on disk
// before the next line runs, and a kill -9 of the server loses nothing it had acknowledged).
// Runs, their stage and check rows, the latest run per recipe, and cursors for the forge
// poller. Only src/queue/ touches the database.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { CcciError, errorMessage, type ErrorInfo } from '../model/errors.js';
import { stageNames, type NaBy, type StageResult, type Verdict } from '../model/stage.js';
import { migrate } from './migrations.js';
import {
  isDefaultBranchRun,
  type RunRecord,
  type TriggeredRequest,
  type RunState,
  type StageRow,
} from '../model/run.js';
import type { RetentionRow } from '../model/retention.js';
import { HISTORY_MAX_POINTS, type HistoryPoint } from '../model/history.js';

/**
 * A recipe's badge runs (no PR, a verdict: the rule of finishRun's badge_run) that ended since a
 * time, newest first. Its WHERE repeats the partial index runs_badge_history's, so SQLite reads
 * that index and stops at the limit.
 */
export const HISTORY_SQL =
  'SELECT id, finished_at, verdict, level, sha FROM runs INDEXED BY runs_badge_history ' +
  'WHERE recipe = ? AND pr IS NULL AND verdict IS NOT NULL AND finished_at >= ? ' +
  'ORDER BY finished_at DESC LIMIT ?';

export interface RunFilter {
  recipe?: string;
  state?: RunState;
  limit?: number;
}

export interface RunEnd {
  state: RunState;
  verdict?: Verdict;
  level?: number;
  sha?: string;
  error?: ErrorInfo;
  supersededBy?: string;
}

export interface ForgeReply {
  runId: string;
  repo: string;
  pr: number;
  /** The comment cc-ci edits as the run moves; unset until it was posted. */
  replyId?: number;
  /** The PR head when the run was accepted (the pending status is on it). */
  acceptedSha: string;
  /** A hash of the body last written, so an unchanged body is not sent again. */
  bodyHash?: string;
  /** The final commit status, once set: the reply is done. */
  finalStatus?: string;
}

/** Where a recipe stood after a run (the level-alert rule's words). */
export interface StandingRow {
  verdict: Verdict;
  level?: number;
}

/** The level-change alert open on a recipe's repository. */
export interface LevelAlertRow {
  recipe: string;
  /** The forge repository, owner/name. */
  repo: string;
  /** The issue's number on that repository. */
  issue: number;
  /** Where the recipe stood before it dropped: the alert closes once it is back there. */
  baseline: StandingRow;
  /** The run that last opened or updated it. */
  runId: string;
  /** The "back" comment, once posted (the close is then all that is left). */
  backComment?: number;
}

/** A sweep and how far its runs are. */
export interface SweepRow {
  id: string;
  /** The schedule that fired it (its cron and what it runs). */
  schedule: string;
  startedAt: string;
  /** Runs it queued. */
  total: number;
  /** Of those, ended (in any way). */
  done: number;
  /** Of those, queued or running. */
  active: number;
}

interface RunRowDb {
  id: string;
  recipe: string;
  repo: string;
  ref: string;
  pr: number | null;
  stages: string;
  keep: number;
  trigger: string;
  state: RunState;
  verdict: Verdict | null;
  level: number | null;
  sha: string | null;
  current_stage: string | null;
  error_code: string | null;
  error_message: string | null;
  superseded_by: string | null;
  pid: number | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  pruned_at: string | null;
}

export class RunStore {
  private readonly db: Database.Database;
  // Prepared once, used many times: preparing is most of the cost of a small query.
  private readonly statements = new Map<string, Database.Statement>();

  constructor(file: string) {
    try {
      if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
      this.db = new Database(file);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('busy_timeout = 5000');
      migrate(this.db);
    } catch (err) {
      throw new CcciError(
        'STORE_FAILED',
        `the run store ${file} could not be opened: ${errorMessage(err)} (check that the store folder is writable)`,
        { cause: err },
      );
    }
  }

  private sql(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  close(): void {
    this.db.close();
  }

  insertRun(id: string, req: TriggeredRequest, now = new Date()): RunRecord {
    const row = {
      id,
      recipe: req.recipe,
      repo: req.repo,
      ref: req.ref,
      sha: req.sha ?? null,
      pr: req.pr ?? null,
      stages: JSON.stringify(req.stages),
      keep: req.keep ? 1 : 0,
      trigger: JSON.stringify(req.trigger),
      created_at: now.toISOString(),
    };
    this.db.transaction(() => {
      this.sql(
        `INSERT INTO runs (id, recipe, repo, ref, sha, pr, stages, keep, trigger, state, created_at)
        VALUES (@id, @recipe, @repo, @ref, @sha, @pr, @stages, @keep, @trigger, 'queued', @created_at)`,
      ).run(row);
      this.sql(
        `INSERT INTO recipes (name, latest_run) VALUES (?, ?)
        ON CONFLICT(name) DO UPDATE SET latest_run = excluded.latest_run`,
      ).run(req.recipe, id);
    })();
    return this.getRun(id)!;
  }

  getRun(id: string): RunRecord | undefined {
    const row = this.sql('SELECT * FROM runs WHERE id = ?').get(id) as RunRowDb | undefined;
    return row && toRecord(row);
  }

  /** Newest first. */
  listRuns(filter: RunFilter = {}): RunRecord[] {
    const where: string[] = [];
    const args: Record<string, unknown> = { limit: Math.min(Math.max(filter.limit ?? 100, 1), 1000) };
    if (filter.recipe) {
      where.push('recipe = @recipe');
      args.recipe = filter.recipe;
    }
    if (filter.state) {
      where.push('state = @state');
      args.state = filter.state;
    }
    const sql =
      `SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ` +
      'ORDER BY created_at DESC, id DESC LIMIT @limit';
    return (this.sql(sql).all(args) as RunRowDb[]).map(toRecord);
  }

  /** Runs in a state, oldest first (the queue's order). */
  inState(state: RunState): RunRecord[] {
    return (this.sql('SELECT * FROM runs WHERE state = ? ORDER BY created_at, id').all(state) as RunRowDb[]).map(
      toRecord,
    );
  }

  /** Queued or running runs of a recipe and PR (those a new run for the PR supersedes). */
  activeForPr(recipe: string, pr: number): RunRecord[] {
    return (
      this.sql(
        `SELECT * FROM runs WHERE recipe = ? AND pr = ? AND state IN ('queued', 'running') ORDER BY created_at`,
      ).all(recipe, pr) as RunRowDb[]
    ).map(toRecord);
  }

  /** Queued or running runs of a recipe that test a branch, not a PR (what a sweep does not queue twice). */
  activeBranchRuns(recipe: string): RunRecord[] {
    return (
      this.sql(
        `SELECT * FROM runs WHERE recipe = ? AND pr IS NULL AND state IN ('queued', 'running') ORDER BY created_at`,
      ).all(recipe) as RunRowDb[]
    ).map(toRecord);
  }

  /** Whether the recipe ever had a run of a branch (not a PR), in any state. */
  hasBranchRun(recipe: string): boolean {
    return this.sql('SELECT 1 FROM runs WHERE recipe = ? AND pr IS NULL LIMIT 1').get(recipe) !== undefined;
  }

  /** When a schedule last fired (or was first seen), or undefined before its first start. */
  lastFiring(schedule: string): string | undefined {
    const row = this.sql('SELECT fired_at FROM schedule_firings WHERE schedule = ?').get(schedule) as
      { fired_at: string } | undefined;
    return row?.fired_at;
  }

  setLastFiring(schedule: string, at: Date): void {
    this.sql(
      `INSERT INTO schedule_firings (schedule, fired_at) VALUES (?, ?)
      ON CONFLICT(schedule) DO UPDATE SET fired_at = excluded.fired_at`,
    ).run(schedule, at.toISOString());
  }

  insertSweep(sweep: { id: string; schedule: string; startedAt: Date; total: number }): void {
    this.sql('INSERT INTO sweeps (id, schedule, started_at, total) VALUES (?, ?, ?, ?)').run(
      sweep.id,
      sweep.schedule,
      sweep.startedAt.toISOString(),
      sweep.total,
    );
  }

  /** The latest sweeps, newest first: how many runs each queued, how many have ended, how many still go. */
  recentSweeps(limit = 5): SweepRow[] {
    const rows = this.sql(
      `SELECT s.id, s.schedule, s.started_at, s.total,
        SUM(CASE WHEN r.state IN ('queued', 'running') THEN 1 ELSE 0 END) AS active,
        SUM(CASE WHEN r.state NOT IN ('queued', 'running') THEN 1 ELSE 0 END) AS done
      FROM sweeps s LEFT JOIN runs r
        ON r.created_at >= s.started_at AND r.pr IS NULL AND json_extract(r.trigger, '$.sweep') = s.id
      GROUP BY s.id ORDER BY s.started_at DESC, s.id DESC LIMIT ?`,
    ).all(limit) as Array<{
      id: string;
      schedule: string;
      started_at: string;
      total: number;
      active: number | null;
      done: number | null;
    }>;
    return rows.map((r) => ({
      id: r.id,
      schedule: r.schedule,
      startedAt: r.started_at,
      total: r.total,
      done: r.done ?? 0,
      active: r.active ?? 0,
    }));
  }

  markRunning(id: string, pid: number | undefined, now = new Date()): void {
    this.sql(`UPDATE runs SET state = 'running', pid = ?, started_at = ? WHERE id = ? AND state = 'queued'`).run(
      pid ?? null,
      now.toISOString(),
      id,
    );
  }

  setCurrentStage(id: string, stage: string | null): void {
    this.sql('UPDATE runs SET current_stage = ? WHERE id = ?').run(stage, id);
  }

  /** A stage's result and its rows, replacing what was there. */
  recordStage(id: string, stage: StageResult): void {
    this.db.transaction(() => {
      this.sql(
        `INSERT INTO stages (run_id, name, status, code, reason, duration_ms, advisory, na_by)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(run_id, name) DO UPDATE SET status = excluded.status, code = excluded.code, ` +
          `reason = excluded.reason,
        duration_ms = excluded.duration_ms, advisory = excluded.advisory, na_by = excluded.na_by`,
      ).run(
        id,
        stage.name,
        stage.status,
        stage.code ?? null,
        stage.reason ?? null,
        stage.durationMs ?? null,
        stage.advisory ? 1 : 0,
        stage.naBy ?? null,
      );
      this.sql('DELETE FROM checks WHERE run_id = ? AND stage = ?').run(id, stage.name);
      const insert = this
        .sql(`INSERT INTO checks (run_id, stage, idx, name, status, code, detail, duration_ms, artifact)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
      stage.checks.forEach((c, i) =>
        insert.run(
          id,
          stage.name,
          i,
          c.name,
          c.status,
          c.code ?? null,
          c.detail ?? null,
          c.durationMs ?? null,
          c.artifact ?? null,
        ),
      );
    })();
  }

  stagesOf(id: string): StageRow[] {
    const stages = this.sql('SELECT * FROM stages WHERE run_id = ? ORDER BY rowid').all(id) as Array<{
      name: StageRow['name'];
      status: string;
      code: string | null;
      reason: string | null;
      duration_ms: number | null;
      advisory: number;
      na_by: NaBy | null;
    }>;
    const checks = this.sql('SELECT * FROM checks WHERE run_id = ? ORDER BY stage, idx').all(id) as Array<{
      stage: string;
      name: string;
      status: string;
      code: string | null;
      detail: string | null;
      duration_ms: number | null;
      artifact: string | null;
    }>;
    // In lifecycle order, not the order they happened to end in (chains run side by side).
    stages.sort((a, b) => stageNames.indexOf(a.name) - stageNames.indexOf(b.name));
    return stages.map((s) => ({
      name: s.name,
      status: s.status,
      code: s.code ?? undefined,
      reason: s.reason ?? undefined,
      durationMs: s.duration_ms ?? undefined,
      advisory: s.advisory === 1,
      ...(s.na_by ? { naBy: s.na_by } : {}),
      checks: checks
        .filter((c) => c.stage === s.name)
        .map((c) => ({
          name: c.name,
          status: c.status,
          code: c.code ?? undefined,
          detail: c.detail ?? undefined,
          durationMs: c.duration_ms ?? undefined,
          artifact: c.artifact ?? undefined,
        })),
    }));
  }

  /** A run reached a final state; the first end wins (a cancel racing the child's own end). */
  finishRun(id: string, end: RunEnd, now = new Date()): boolean {
    return this.db.transaction(() => {
      const changed =
        this.sql(
          `UPDATE runs SET state = @state, verdict = @verdict, level = @level, sha = COALESCE(@sha, sha),
        error_code = @error_code, error_message = @error_message, ` +
            `superseded_by = COALESCE(@superseded_by, superseded_by),
        finished_at = @finished_at, current_stage = NULL, pid = NULL
        WHERE id = @id AND state IN ('queued', 'running')`,
        ).run({
          id,
          state: end.state,
          verdict: end.verdict ?? null,
          level: end.level ?? null,
          sha: end.sha ?? null,
          error_code: end.error?.code ?? null,
          error_message: end.error?.message ?? null,
          superseded_by: end.supersededBy ?? null,
          finished_at: now.toISOString(),
        }).changes > 0;
      if (changed) {
        const run = this.getRun(id);
        // The badge follows the latest finished run that tested a branch, not a PR.
        if (run && isDefaultBranchRun(run))
          this.sql('UPDATE recipes SET badge_run = ? WHERE name = ?').run(id, run.recipe);
      }
      return changed;
    })();
  }

  /** Notes the run that supersedes this one (before it is stopped). */
  /** Every run whose folder is still there, for retention: no JSON decoding, just what the rule reads. */
  retentionRows(): RetentionRow[] {
    const rows = this.sql(
      'SELECT id, recipe, pr, ref, state, created_at, finished_at FROM runs WHERE pruned_at IS NULL',
    ).all() as Array<{
      id: string;
      recipe: string;
      pr: number | null;
      ref: string;
      state: RunState;
      created_at: string;
      finished_at: string | null;
    }>;
    return rows.map((r) => ({
      id: r.id,
      recipe: r.recipe,
      pr: r.pr ?? undefined,
      ref: r.ref,
      state: r.state,
      createdAt: r.created_at,
      finishedAt: r.finished_at ?? undefined,
    }));
  }

  /** The run's folder is gone; its row stays, marked. Only a finished run can be marked. */
  markPruned(id: string, now = new Date()): boolean {
    const done = this.sql(
      `UPDATE runs SET pruned_at = ? WHERE id = ? AND pruned_at IS NULL AND state NOT IN ('queued', 'running')`,
    ).run(now.toISOString(), id);
    return done.changes === 1;
  }

  /** A consistent copy of the database while others write (SQLite's online backup). */
  async backup(file: string): Promise<void> {
    await this.db.backup(file);
  }

  setSupersededBy(id: string, by: string): void {
    this.sql('UPDATE runs SET superseded_by = ? WHERE id = ?').run(by, id);
  }

  /** Every recipe that has runs: its latest run and the run its badge shows. */
  recipes(): Array<{ name: string; latest?: RunRecord; badge?: RunRecord }> {
    const rows = this.sql(
      `SELECT r.name AS name, l.*, b.id AS b_id FROM recipes r
      LEFT JOIN runs l ON l.id = r.latest_run LEFT JOIN runs b ON b.id = r.badge_run ORDER BY r.name`,
    ).all() as Array<RunRowDb & { name: string; b_id: string | null }>;
    return rows.map((row) => ({
      name: row.name,
      latest: row.id ? toRecord({ ...row, recipe: row.name }) : undefined,
      badge: row.b_id ? this.getRun(row.b_id) : undefined,
    }));
  }

  recipe(name: string): { latest?: RunRecord; badge?: RunRecord } {
    const row = this.sql('SELECT latest_run, badge_run FROM recipes WHERE name = ?').get(name) as
      { latest_run: string | null; badge_run: string | null } | undefined;
    return {
      latest: row?.latest_run ? this.getRun(row.latest_run) : undefined,
      badge: row?.badge_run ? this.getRun(row.badge_run) : undefined,
    };
  }

  /**
   * A recipe's badge runs that ended at or after `since`, oldest first: the newest `limit` of them
   * (at most HISTORY_MAX_POINTS).
   */
  history(recipe: string, since: Date, limit = HISTORY_MAX_POINTS): HistoryPoint[] {
    const cap = Math.min(Math.max(Math.floor(limit), 1), HISTORY_MAX_POINTS);
    const rows = this.sql(HISTORY_SQL).all(recipe, since.toISOString(), cap) as Array<{
      id: string;
      finished_at: string;
      verdict: Verdict;
      level: number | null;
      sha: string | null;
    }>;
    return rows.reverse().map((r) => ({
      runId: r.id,
      finishedAt: r.finished_at,
      verdict: r.verdict,
      ...(r.level === null ? {} : { level: r.level }),
      ...(r.sha === null ? {} : { sha: r.sha }),
    }));
  }

  countByState(): Record<RunState, number> {
    const counts = Object.fromEntries(
      ['queued', 'running', 'passed', 'failed', 'errored', 'cancelled', 'superseded', 'interrupted'].map((s) => [s, 0]),
    ) as Record<RunState, number>;
    for (const row of this.sql('SELECT state, COUNT(*) AS n FROM runs GROUP BY state').all() as Array<{
      state: RunState;
      n: number;
    }>)
      counts[row.state] = row.n;
    return counts;
  }

  getCursor(key: string): string | undefined {
    return (this.sql('SELECT value FROM cursors WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  setCursor(key: string, value: string, now = new Date()): void {
    this.sql(
      `INSERT INTO cursors (key, value, updated_at) VALUES (?, ?, ?)
      ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    ).run(key, value, now.toISOString());
  }

  /**
   * Claims a forge comment: true the first time its id is seen, false ever after (across
   * restarts, and whether the poller or the webhook saw it first). A webhook's delivery id is kept
   * with it.
   */
  claimComment(
    commentId: number,
    repo: string,
    pr: number | undefined,
    opts: { deliveryId?: string; now?: Date } = {},
  ): boolean {
    return (
      this.sql(
        `INSERT OR IGNORE INTO forge_comments (comment_id, repo, pr, seen_at, delivery_id) VALUES (?, ?, ?, ?, ?)`,
      ).run(commentId, repo, pr ?? null, (opts.now ?? new Date()).toISOString(), opts.deliveryId ?? null).changes === 1
    );
  }

  /** Gives a claim back (the forge did not answer while it was handled): it is read again later. */
  unclaimComment(commentId: number): void {
    this.sql('DELETE FROM forge_comments WHERE comment_id = ?').run(commentId);
  }

  /** What came of a claimed comment: ignored, untrusted, usage, queued (with the run). */
  noteComment(commentId: number, outcome: string, runId?: string): void {
    this.sql('UPDATE forge_comments SET outcome = ?, run_id = ? WHERE comment_id = ?').run(
      outcome,
      runId ?? null,
      commentId,
    );
  }

  commentOutcome(commentId: number): { outcome: string; runId?: string; deliveryId?: string } | undefined {
    const row = this.sql('SELECT outcome, run_id, delivery_id FROM forge_comments WHERE comment_id = ?').get(
      commentId,
    ) as { outcome: string; run_id: string | null; delivery_id: string | null } | undefined;
    return row && { outcome: row.outcome, runId: row.run_id ?? undefined, deliveryId: row.delivery_id ?? undefined };
  }

  /** The reply comment of a forge-triggered run, and what was last written to it. */
  getReply(runId: string): ForgeReply | undefined {
    const row = this.sql('SELECT * FROM forge_replies WHERE run_id = ?').get(runId) as
      | {
          run_id: string;
          repo: string;
          pr: number;
          reply_id: number | null;
          accepted_sha: string;
          body_hash: string | null;
          final_status: string | null;
        }
      | undefined;
    return (
      row && {
        runId: row.run_id,
        repo: row.repo,
        pr: row.pr,
        replyId: row.reply_id ?? undefined,
        acceptedSha: row.accepted_sha,
        bodyHash: row.body_hash ?? undefined,
        finalStatus: row.final_status ?? undefined,
      }
    );
  }

  saveReply(reply: ForgeReply): void {
    this.sql(
      'INSERT INTO forge_replies (run_id, repo, pr, reply_id, accepted_sha, body_hash, final_status) ' +
        `VALUES (@runId, @repo, @pr, @replyId, @acceptedSha, @bodyHash, @finalStatus)
      ON CONFLICT(run_id) DO UPDATE SET reply_id = excluded.reply_id, ` +
        'body_hash = excluded.body_hash, final_status = excluded.final_status',
    ).run({
      ...reply,
      replyId: reply.replyId ?? null,
      bodyHash: reply.bodyHash ?? null,
      finalStatus: reply.finalStatus ?? null,
    });
  }

  /**
   * The badge run (no PR, a verdict: finishRun's rule) of the recipe that ended last before run
   * `id` and was not an `error`: the standing a new default-branch run is compared with.
   */
  previousStanding(id: string): StandingRow | undefined {
    const row = this.sql(
      `SELECT p.verdict, p.level FROM runs r JOIN runs p ON p.recipe = r.recipe AND p.pr IS NULL
        AND p.verdict IS NOT NULL AND p.verdict != 'error' AND p.id != r.id
        AND (p.finished_at < r.finished_at OR (p.finished_at = r.finished_at AND p.id < r.id))
      WHERE r.id = ? ORDER BY p.finished_at DESC, p.id DESC LIMIT 1`,
    ).get(id) as { verdict: Verdict; level: number | null } | undefined;
    return row && { verdict: row.verdict, level: row.level ?? undefined };
  }

  levelAlert(recipe: string): LevelAlertRow | undefined {
    const row = this.sql('SELECT * FROM level_alerts WHERE recipe = ?').get(recipe) as
      | {
          recipe: string;
          repo: string;
          issue: number;
          baseline_verdict: Verdict;
          baseline_level: number | null;
          run_id: string;
          back_comment: number | null;
        }
      | undefined;
    return (
      row && {
        recipe: row.recipe,
        repo: row.repo,
        issue: row.issue,
        baseline: { verdict: row.baseline_verdict, level: row.baseline_level ?? undefined },
        runId: row.run_id,
        backComment: row.back_comment ?? undefined,
      }
    );
  }

  saveLevelAlert(alert: LevelAlertRow, now = new Date()): void {
    this.sql(
      `INSERT INTO level_alerts
        (recipe, repo, issue, baseline_verdict, baseline_level, run_id, back_comment, updated_at)
      VALUES (@recipe, @repo, @issue, @verdict, @level, @runId, @backComment, @updatedAt)
      ON CONFLICT(recipe) DO UPDATE SET repo = excluded.repo, issue = excluded.issue,
        baseline_verdict = excluded.baseline_verdict, baseline_level = excluded.baseline_level,
        run_id = excluded.run_id, back_comment = excluded.back_comment, updated_at = excluded.updated_at`,
    ).run({
      recipe: alert.recipe,
      repo: alert.repo,
      issue: alert.issue,
      verdict: alert.baseline.verdict,
      level: alert.baseline.level ?? null,
      runId: alert.runId,
      backComment: alert.backComment ?? null,
      updatedAt: now.toISOString(),
    });
  }

  forgetLevelAlert(recipe: string): void {
    this.sql('DELETE FROM level_alerts WHERE recipe = ?').run(recipe);
  }

  /** Notes a default-branch run whose alert is to be decided (once; a second call changes nothing). */
  queueAlertWork(runId: string, recipe: string): void {
    this.sql('INSERT OR IGNORE INTO level_alert_work (run_id, recipe) VALUES (?, ?)').run(runId, recipe);
  }

  /** The runs whose alert is still to be decided or sent, in the order they were noted. */
  alertWork(recipe?: string): Array<{ runId: string; recipe: string }> {
    const rows = (
      recipe === undefined
        ? this.sql('SELECT run_id, recipe FROM level_alert_work ORDER BY seq').all()
        : this.sql('SELECT run_id, recipe FROM level_alert_work WHERE recipe = ? ORDER BY seq').all(recipe)
    ) as Array<{ run_id: string; recipe: string }>;
    return rows.map((r) => ({ runId: r.run_id, recipe: r.recipe }));
  }

  alertWorkDone(runId: string): void {
    this.sql('DELETE FROM level_alert_work WHERE run_id = ?').run(runId);
  }

  /** The commit status last set for a default-branch run (state, description, commit), and whether it was final. */
  branchStatus(runId: string): { repo: string; sent: string; final: boolean } | undefined {
    const row = this.sql('SELECT repo, sent, final FROM branch_statuses WHERE run_id = ?').get(runId) as
      { repo: string; sent: string; final: number } | undefined;
    return row && { repo: row.repo, sent: row.sent, final: row.final === 1 };
  }

  saveBranchStatus(runId: string, s: { repo: string; sent: string; final: boolean }): void {
    this.sql(
      `INSERT INTO branch_statuses (run_id, repo, sent, final) VALUES (?, ?, ?, ?)
      ON CONFLICT(run_id) DO UPDATE SET repo = excluded.repo, sent = excluded.sent, final = excluded.final`,
    ).run(runId, s.repo, s.sent, s.final ? 1 : 0);
  }

  /** Default-branch runs whose final commit status is not set yet. */
  unfinishedBranchStatuses(): string[] {
    return (this.sql('SELECT run_id FROM branch_statuses WHERE final = 0').all() as Array<{ run_id: string }>).map(
      (r) => r.run_id,
    );
  }

  /** Errored runs by error code, for /metrics. */
  erroredByCode(): Array<{ code: string; count: number }> {
    return this.sql(
      `SELECT COALESCE(error_code, 'UNKNOWN') AS code, COUNT(*) AS count FROM runs WHERE state = 'errored' GROUP BY 1`,
    ).all() as Array<{ code: string; count: number }>;
  }

  /** For benchmarks and imports: many runs in one transaction. */
  bulk(work: () => void): void {
    this.db.transaction(work)();
  }
}

function toRecord(r: RunRowDb): RunRecord {
  return {
    id: r.id,
    recipe: r.recipe,
    repo: r.repo,
    ref: r.ref,
    pr: r.pr ?? undefined,
    stages: JSON.parse(r.stages) as RunRecord['stages'],
    keep: r.keep === 1,
    trigger: JSON.parse(r.trigger) as RunRecord['trigger'],
    state: r.state,
    verdict: r.verdict ?? undefined,
    level: r.level ?? undefined,
    sha: r.sha ?? undefined,
    currentStage: r.current_stage ?? undefined,
    error: r.error_code ? { code: r.error_code as ErrorInfo['code'], message: r.error_message ?? '' } : undefined,
    supersededBy: r.superseded_by ?? undefined,
    pid: r.pid ?? undefined,
    createdAt: r.created_at,
    startedAt: r.started_at ?? undefined,
    finishedAt: r.finished_at ?? undefined,
    prunedAt: r.pruned_at ?? undefined,
  };
}
