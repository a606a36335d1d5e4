// Retention (DESIGN §3.1 `retention`): which finished runs lose their folder. Pure: the rows and the
// time in, the ids out; src/queue/prune.ts deletes the folders and marks the rows.
import type { RunState } from './run.js';

export interface RetentionPolicy {
  /** A finished run older than this many days loses its folder… */
  days: number;
  /** …unless it is among the newest this many runs of its recipe. */
  keepPerRecipe: number;
}

/** What the rule reads of a run whose folder is still there. */
export interface RetentionRow {
  id: string;
  recipe: string;
  pr?: number;
  ref: string;
  state: RunState;
  createdAt: string;
  finishedAt?: string;
}

const DAY_MS = 86_400_000;
const unfinished: ReadonlySet<RunState> = new Set(['queued', 'running']);

/**
 * A run of the default branch, as far as the store can tell: not a PR run. The store does not
 * know the forge's default branch, so every run without a PR number and without a `refs/pull/*`
 * ref counts (the poller's and the API's branch runs alike).
 */
export function isBranchRun(row: RetentionRow): boolean {
  return row.pr === undefined && !row.ref.startsWith('refs/pull/');
}

/** The ids of the runs to prune, oldest first. */
export function runsToPrune(rows: readonly RetentionRow[], now: Date, policy: RetentionPolicy): string[] {
  const cutoff = now.getTime() - policy.days * DAY_MS;
  const kept = new Set<string>();
  const byRecipe = new Map<string, RetentionRow[]>();
  for (const row of rows) byRecipe.set(row.recipe, [...(byRecipe.get(row.recipe) ?? []), row]);
  for (const runs of byRecipe.values()) {
    const newestFirst = [...runs].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    for (const row of newestFirst.slice(0, policy.keepPerRecipe)) kept.add(row.id);
    // The run the recipe's badge and page stand on stays, however old.
    const latestBranch = newestFirst.find((row) => isBranchRun(row) && !unfinished.has(row.state));
    if (latestBranch) kept.add(latestBranch.id);
  }
  return rows
    .filter((row) => !kept.has(row.id) && !unfinished.has(row.state))
    .filter((row) => Date.parse(row.finishedAt ?? row.createdAt) < cutoff)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
    .map((row) => row.id);
}
