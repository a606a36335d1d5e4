// A recipe's history as the chart, the sparkline and GET /api/recipes/:recipe/history show it:
// its badge runs (finished runs that tested a branch, not a PR: what the badge follows) over a
// bounded window. The store reads the points; the pages draw them.
import type { Verdict } from './stage.js';

/** How far back the history reaches. */
export const HISTORY_DAYS = 90;
/** The most points read for one recipe (the newest, when more ran in the window). */
export const HISTORY_MAX_POINTS = 500;

export interface HistoryPoint {
  runId: string;
  /** ISO time the run ended. */
  finishedAt: string;
  verdict: Verdict;
  /** Undefined when the run ended before a level was reached (an error before any stage). */
  level?: number;
  /** The commit tested, when known. */
  sha?: string;
}

/** The window's start for `now`. */
export function historySince(now: Date, days = HISTORY_DAYS): Date {
  return new Date(now.getTime() - days * 86_400_000);
}
