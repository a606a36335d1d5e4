// The store's schema as numbered migrations; PRAGMA user_version says which have run. Add a new
// entry at the end, never edit one that has shipped.
import type Database from 'better-sqlite3';

const migrations: string[] = [
  `CREATE TABLE runs (
     id TEXT PRIMARY KEY,
     recipe TEXT NOT NULL,
     repo TEXT NOT NULL,
     ref TEXT NOT NULL,
     pr INTEGER,
     stages TEXT NOT NULL,
     keep INTEGER NOT NULL DEFAULT 0,
     trigger TEXT NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'passed', 'failed', 'errored', ` +
    `'cancelled', 'superseded', 'interrupted')),
     verdict TEXT CHECK (verdict IN ('pass', 'fail', 'error')),
     level INTEGER,
     sha TEXT,
     current_stage TEXT,
     error_code TEXT,
     error_message TEXT,
     superseded_by TEXT,
     pid INTEGER,
     created_at TEXT NOT NULL,
     started_at TEXT,
     finished_at TEXT
   );
   CREATE INDEX runs_by_recipe ON runs (recipe, created_at DESC);
   CREATE INDEX runs_by_state ON runs (state, created_at);
   CREATE INDEX runs_by_created ON runs (created_at DESC);
   CREATE INDEX runs_by_pr ON runs (recipe, pr) WHERE pr IS NOT NULL;
   CREATE TABLE stages (
     run_id TEXT NOT NULL REFERENCES runs (id),
     name TEXT NOT NULL,
     status TEXT NOT NULL,
     code TEXT,
     reason TEXT,
     duration_ms INTEGER,
     advisory INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (run_id, name)
   );
   CREATE TABLE checks (
     run_id TEXT NOT NULL REFERENCES runs (id),
     stage TEXT NOT NULL,
     idx INTEGER NOT NULL,
     name TEXT NOT NULL,
     status TEXT NOT NULL,
     code TEXT,
     detail TEXT,
     duration_ms INTEGER,
     artifact TEXT,
     PRIMARY KEY (run_id, stage, idx)
   );
   CREATE TABLE recipes (
     name TEXT PRIMARY KEY,
     latest_run TEXT,
     badge_run TEXT
   );
   CREATE TABLE cursors (
     key TEXT PRIMARY KEY,
     value TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );`,
  // The forge loop: every comment seen once, ever (poller and webhook alike), and the reply
  // comment each forge-triggered run keeps editing.
  `CREATE TABLE forge_comments (
     comment_id INTEGER PRIMARY KEY,
     repo TEXT NOT NULL,
     pr INTEGER,
     outcome TEXT NOT NULL DEFAULT 'seen',
     run_id TEXT,
     seen_at TEXT NOT NULL
   );
   CREATE TABLE forge_replies (
     run_id TEXT PRIMARY KEY REFERENCES runs (id),
     repo TEXT NOT NULL,
     pr INTEGER NOT NULL,
     reply_id INTEGER,
     accepted_sha TEXT NOT NULL,
     body_hash TEXT,
     final_status TEXT
   );`,
  // The webhook delivery (X-Gitea-Delivery) that brought a comment, when it came by webhook.
  `ALTER TABLE forge_comments ADD COLUMN delivery_id TEXT;`,
  // Retention: when the run's folder (logs, artifacts) was deleted; the row itself stays.
  `ALTER TABLE runs ADD COLUMN pruned_at TEXT;`,
  // Who said a stage is na (operator, recipe, cc-ci): only the operator's counts for the level.
  `ALTER TABLE stages ADD COLUMN na_by TEXT;`,
  // A recipe's history (the chart, GET /api/recipes/:recipe/history): its badge runs by end time,
  // covering what is read, pr included (SQLite reads the partial WHERE's columns too): no lookup of the row.
  `CREATE INDEX runs_badge_history ON runs (recipe, finished_at, id, verdict, level, sha, pr)
   WHERE pr IS NULL AND verdict IS NOT NULL;`,
  // Scheduled sweeps: each schedule's last firing (a firing missed while serve was down runs once
  // at the next start), and each sweep that queued runs (its runs name it in trigger.sweep).
  `CREATE TABLE schedule_firings (
     schedule TEXT PRIMARY KEY,
     fired_at TEXT NOT NULL
   );
   CREATE TABLE sweeps (
     id TEXT PRIMARY KEY,
     schedule TEXT NOT NULL,
     started_at TEXT NOT NULL,
     total INTEGER NOT NULL
   );
   CREATE INDEX sweeps_by_start ON sweeps (started_at DESC);`,
  // Level-change alerts: the issue open on a recipe's repository, with where the recipe stood
  // before it dropped (and the "back" comment once posted, before the close); the default-branch
  // runs whose alert is still to be decided or sent, in the order they ended; and the commit
  // status last set for a default-branch run (its final one, once set, ends the run's reporting).
  `CREATE TABLE level_alerts (
     recipe TEXT PRIMARY KEY,
     repo TEXT NOT NULL,
     issue INTEGER NOT NULL,
     baseline_verdict TEXT NOT NULL,
     baseline_level INTEGER,
     run_id TEXT NOT NULL,
     back_comment INTEGER,
     updated_at TEXT NOT NULL
   );
   CREATE TABLE level_alert_work (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     run_id TEXT NOT NULL UNIQUE REFERENCES runs (id),
     recipe TEXT NOT NULL
   );
   CREATE TABLE branch_statuses (
     run_id TEXT PRIMARY KEY REFERENCES runs (id),
     repo TEXT NOT NULL,
     sent TEXT NOT NULL,
     final INTEGER NOT NULL DEFAULT 0
   );`,
];

export function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length) {
    throw new Error(
      `the database is at schema version ${current}, newer than this cc-ci knows (${migrations.length}): upgrade cc-ci`,
    );
  }
  for (let v = current; v < migrations.length; v++) {
    db.transaction(() => {
      db.exec(migrations[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
