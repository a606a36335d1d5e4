// A run as the server knows it (DESIGN §3.6): the request, who asked, its state from one closed
// list, and what it found. The store keeps it; the scheduler moves it; pages, the API and the
// forge bridge read it.
import type { ErrorInfo } from './errors.js';
import type { NaBy, StageName, Verdict } from './stage.js';

export const runStates = [
  'queued',
  'running',
  'passed',
  'failed',
  'errored',
  'cancelled',
  'superseded',
  'interrupted',
] as const;
export type RunState = (typeof runStates)[number];

/** States a run never leaves. */
export const terminalStates: readonly RunState[] = [
  'passed',
  'failed',
  'errored',
  'cancelled',
  'superseded',
  'interrupted',
];

/** Has the run ended (it will never change state again)? */
export function isTerminal(run: Pick<RunRecord, 'state'>): boolean {
  return terminalStates.includes(run.state);
}

/**
 * A default-branch run: a finished run of a branch (no PR) with a verdict. The badge, the history
 * and the level alerts all follow these (the store's badge_run).
 */
export function isDefaultBranchRun(run: Pick<RunRecord, 'pr' | 'verdict'>): boolean {
  return run.pr === undefined && run.verdict !== undefined;
}

/** Queued runs (oldest first) in the order they start: sweep runs after all others. */
export function inQueueOrder<T extends Pick<RunRecord, 'trigger'>>(queued: readonly T[]): T[] {
  return [...queued.filter((r) => r.trigger.kind !== 'sweep'), ...queued.filter((r) => r.trigger.kind === 'sweep')];
}

export interface TriggerInfo {
  /**
   * api: POST /api/runs; rerun: the re-run form; forge: a !testme comment; push: a new head of the
   * default branch; sweep: a scheduled sweep (these two ask for no one: `by` is unset).
   */
  kind: 'api' | 'rerun' | 'forge' | 'push' | 'sweep';
  /** The forge user, when there is one. */
  by?: string;
  /** The forge repository `owner/name` and the comment that asked, for the forge bridge. */
  forgeRepo?: string;
  commentId?: number;
  /** The run this one re-runs. */
  rerunOf?: string;
  /** The sweep that queued the run (the store's sweeps table). */
  sweep?: string;
}

/** What a run tests, validated: the one request shape of `cc-ci run`, the API and the forge. */
export interface RunRequest {
  recipe: string;
  repo: string;
  /** Where the commit is fetched from: a branch, tag, full ref (refs/pull/7/head) or commit. */
  ref: string;
  /**
   * The commit the run tests, pinned when the run is asked for (the PR head a `!testme` approved,
   * the commit a re-run repeats); without it the run tests what `ref` names when it starts. Once
   * the run has resolved its ref, the commit it tested (results.headSha).
   */
  sha?: string;
  /** The pull request number, when the run tests one; a new run for the same recipe and PR supersedes older ones. */
  pr?: number;
  /** Stages asked for; empty means runner.stages. */
  stages: StageName[];
  keep: boolean;
}

/** A request the server queues, with who asked. */
export type TriggeredRequest = RunRequest & { trigger: TriggerInfo };

export interface RunRecord extends TriggeredRequest {
  id: string;
  state: RunState;
  verdict?: Verdict;
  level?: number;
  /** While running: the stage going on now. */
  currentStage?: string;
  error?: ErrorInfo;
  /** The run that replaced this one. */
  supersededBy?: string;
  /** The child's pid (its process group), while running. */
  pid?: number;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** When retention deleted the run's folder (its log and artifacts); the row stays. */
  prunedAt?: string;
}

export interface StageRow {
  name: StageName;
  status: string;
  code?: string;
  reason?: string;
  durationMs?: number;
  advisory?: boolean;
  naBy?: NaBy;
  checks: Array<{
    name: string;
    status: string;
    code?: string;
    detail?: string;
    durationMs?: number;
    artifact?: string;
  }>;
}
