// Level and verdict (DESIGN §3.6), as pure functions of the stage results.
import type { NaBy, StageName, StageResult, Verdict } from '../model/stage.js';

// Rung n of the ladder is reached when its stages, and every rung below, pass (or are na by the operator).
const rungs: StageName[][] = [['install'], ['upgrade'], ['backup'], ['recipe-local'], ['lint']];

type LevelStage = Pick<StageResult, 'name' | 'status' | 'naBy'>;

/**
 * Whether an `na` stage counts as passed for the level: only when the operator's spec declared it
 * (with its reason). A recipe's own `na` comes with the PR under test, and one cc-ci found at run
 * time (no release to upgrade from, no backup labels) means the rung was never tested.
 */
export function naCounts(stage: { status: string; naBy?: NaBy }): boolean {
  return stage.status === 'na' && stage.naBy === 'operator';
}

export function computeLevel(stages: LevelStage[]): number {
  const climbs = (name: StageName): boolean => {
    const stage = stages.find((s) => s.name === name);
    return stage !== undefined && (stage.status === 'pass' || naCounts(stage));
  };
  let level = 0;
  for (const rung of rungs) {
    if (!rung.every(climbs)) break;
    level++;
  }
  return level;
}

/**
 * For an na stage: whether it counted for the level and who said so, in a few words that go before
 * its reason on the run page, the card, the PR reply and the badge's title.
 */
export function naNote(stage: { status: string; naBy?: NaBy }): string | undefined {
  if (stage.status !== 'na') return undefined;
  switch (stage.naBy) {
    case 'operator':
      return "counts (cc-ci's spec)";
    case 'recipe':
      return "not counted (the recipe's own spec)";
    case 'cc-ci':
      return 'not counted (found at run time)';
    default:
      return 'not counted';
  }
}

/**
 * `pass` when every stage that ran passed; `fail` when the recipe failed a stage; `error` when
 * infrastructure broke (and no stage failed), teardown left something, or the run itself
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
