// Level and verdict (DESIGN §3.6), as pure functions of the stage results.
import type { StageName, StageResult, StageStatus, Verdict } from '../model/stage.js';

// Rung n of the ladder is reached when its stages, and every rung below, are pass or na.
const rungs: StageName[][] = [['install'], ['upgrade'], ['backup'], ['recipe-local'], ['lint']];

export function computeLevel(stages: Pick<StageResult, 'name' | 'status'>[]): number {
  const statusOf = (name: StageName): StageStatus | undefined => stages.find((s) => s.name === name)?.status;
  let level = 0;
  for (const rung of rungs) {
    if (!rung.every((name) => ['pass', 'na'].includes(statusOf(name) ?? 'skip'))) break;
    level++;
  }
  return level;
}

/**
 * `pass` when every stage that ran passed; `fail` when the recipe failed a stage; `error` when
 * infrastructure broke (and no stage failed), teardown left something behind, or the run itself
 * could not go on (stopped, refused, broken): a cancelled run is never the recipe's failure.
 */
export function computeVerdict(
  all: Pick<StageResult, 'status' | 'advisory'>[],
  teardownClean: boolean,
  runBroke = false,
): Verdict {
  if (!teardownClean || runBroke) return 'error';
  const stages = all.filter((s) => !(s.advisory && s.status === 'fail'));
  if (stages.some((s) => s.status === 'fail')) return 'fail';
  if (stages.some((s) => s.status === 'error')) return 'error';
  return 'pass';
}

export function exitCodeForVerdict(verdict: Verdict): 0 | 1 | 3 {
  return verdict === 'pass' ? 0 : verdict === 'fail' ? 1 : 3;
}
