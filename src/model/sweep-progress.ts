// How far a scheduled sweep is, and when it should end at the rate measured so far: the time since
// it started divided by the runs ended, times the runs left. No guess before the first run ends.

export interface SweepCounts {
  /** Runs the sweep queued. */
  total: number;
  /** Of those, ended (in any way). */
  done: number;
  /** When it queued them (RFC 3339). */
  startedAt: string;
}

/** The milliseconds left at the measured rate, or undefined before any of its runs has ended. */
export function sweepEtaMs(sweep: SweepCounts, now: number): number | undefined {
  if (sweep.done <= 0) return undefined;
  const left = Math.max(0, sweep.total - sweep.done);
  const perRun = Math.max(0, now - Date.parse(sweep.startedAt)) / sweep.done;
  return Math.round(perRun * left);
}
