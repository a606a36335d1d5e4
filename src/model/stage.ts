// The closed vocabularies of a run's results; the same strings are used in results.json,
// junit.xml, the events file, the database and the dashboard.
import type { ErrorInfo } from './errors.js';

/** Lifecycle stages, in the order a serial run executes them. */
export const stageNames = ['install', 'upgrade', 'backup', 'recipe-local', 'lint'] as const;
export type StageName = (typeof stageNames)[number];

/**
 * How a stage ended. Which of `fail` and `error` a broken check is, is decided in one place:
 * `blame` in ./blame.ts.
 */
export type StageStatus =
  | 'pass' // the stage ran and everything it checked held
  | 'fail' // the recipe did not do what the stage checks
  | 'skip' // the stage did not run, and that says nothing about the recipe: see skipReasons
  | 'na' // declared (spec) or found (no release to upgrade from, no backup labels) not applicable: see NaBy
  | 'error'; // the check could not be carried out: infrastructure broke, or the run was stopped

/**
 * Every reason a stage is `skip`, in one place. `skip` never judges the recipe: the stage was
 * not asked for, it needs something earlier that did not pass, or the run was refused.
 */
export const skipReasons = {
  notAsked: 'not asked for in this run',
  needsInstall: (installAsked: boolean) =>
    `not run: it needs a passing install${installAsked ? '' : ' (add install to --stages)'}`,
  refused: (message: string) => `not run: the run was refused: ${message}`,
  nothingToRun: (what: string) => `nothing to run: ${what}`,
} as const;

/**
 * Who said a stage is `na`. Only the operator's spec (cc-ci's `recipes/<recipe>/ci.yml`) lets an `na`
 * count for the level: a recipe's own spec comes with the PR under test, and an `na` cc-ci found at
 * run time (no release to upgrade from, no backup labels) means the rung was never tested.
 */
export type NaBy = 'operator' | 'recipe' | 'cc-ci';

export type CheckStatus = 'pass' | 'fail' | 'error' | 'skip';

/** One row of a stage: a check, a test case or a lint rule. */
export interface CheckRow {
  name: string;
  status: CheckStatus;
  /** What was seen, e.g. "GET / -> 200 in 12 ms, title \"…\"", or why it failed. */
  detail?: string;
  /** For fail and error rows: the stable code (RecipeFailure or CcciError code). */
  code?: string;
  durationMs?: number;
  artifact?: string;
}

export interface StageResult {
  name: StageName;
  status: StageStatus;
  /** Why the stage ended as it did; always set for fail, error, na and skip. */
  reason?: string;
  /** For fail and error: the code of what ended it. */
  code?: string;
  startedAt?: string;
  durationMs?: number;
  checks: CheckRow[];
  /** A failure here lowers the level but not the verdict (lint, unless the spec makes it blocking). */
  advisory?: boolean;
  /** For na: who declared or found it; only `operator` counts for the level (report/verdict.ts). */
  naBy?: NaBy;
}

export type Verdict = 'pass' | 'fail' | 'error';

export type { ErrorInfo };
