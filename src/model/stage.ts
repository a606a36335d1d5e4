// The closed vocabularies of a run's results; the same strings are used in results.json,
// junit.xml, the database and the dashboard.

/** Lifecycle stages, in the order a run executes them. */
export const stageNames = ['install', 'upgrade', 'backup', 'recipe-local', 'lint'] as const;
export type StageName = (typeof stageNames)[number];

export type StageStatus =
  | 'pass' // the stage ran and everything it checked held
  | 'fail' // the recipe did not do what the stage checks
  | 'skip' // not asked for in this run
  | 'na' // declared or found not applicable, with a reason
  | 'error'; // infrastructure broke (abra, docker, the testbed), not the recipe

export type CheckStatus = 'pass' | 'fail' | 'error' | 'skip';

/** One row of a stage: a check, a test case or a lint rule. */
export interface CheckRow {
  name: string;
  status: CheckStatus;
  /** What was seen, e.g. "GET / -> 200 in 12 ms, title \"…\"". */
  detail?: string;
  durationMs?: number;
  artifact?: string;
}

export interface StageResult {
  name: StageName;
  status: StageStatus;
  /** Why the stage ended as it did; always set for fail, error, na and skip. */
  reason?: string;
  startedAt?: string;
  durationMs?: number;
  checks: CheckRow[];
  /** A failure here lowers the level but not the verdict (lint, unless the spec makes it blocking). */
  advisory?: boolean;
}

export type Verdict = 'pass' | 'fail' | 'error';
