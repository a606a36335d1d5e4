// Level-change alerts as a pure rule (issue on the recipe's repository): from a recipe's new
// default-branch run, the one before it and the alert already open, decide whether to open an
// issue, update it, close it, or do nothing. A drop is a lower level, or a fail where there was a
// pass. An `error` verdict is cc-ci's or the host's, not the recipe's: it never opens, updates or
// closes an issue (the operator's alert is for it). Nothing here talks to a forge.
// Everything in the text that cc-ci did not write is inline code (./markdown.ts).
import type { StageRow } from '../model/run.js';
import type { Verdict } from '../model/stage.js';
import { untrustedInline } from './markdown.js';
import { firstFailure } from './pr-comment.js';

/** Where a recipe stood after a run: its verdict and level. */
export interface Standing {
  verdict: Verdict;
  /** Undefined when the run reached no level; counted as L0. */
  level?: number;
}

export interface AlertRun extends Standing {
  id: string;
  /** The commit the run tested. */
  sha?: string;
  /** The run's stages, for the failing stage and the check's message. */
  stages: StageRow[];
}

export interface LevelAlertInput {
  recipe: string;
  /** The new default-branch run. */
  run: AlertRun;
  /** The default-branch run before it that was not an `error` (undefined: this is the first). */
  previous?: Standing;
  /** The alert open on the recipe's repository, with where the recipe stood before it dropped. */
  open?: { baseline: Standing };
  /** `<dashboard.publicUrl>`, without a trailing slash. */
  publicUrl: string;
}

export type LevelAlert =
  | { action: 'nothing'; why: string }
  /** Open an issue with this title and body; keep `baseline` with it. */
  | { action: 'open'; title: string; body: string; baseline: Standing }
  /** Edit the open issue to this title and body (the baseline stays). */
  | { action: 'update'; title: string; body: string; baseline: Standing }
  /** Comment this on the open issue, then close it. */
  | { action: 'close'; comment: string };

/** The longest check name and message quoted. */
const CHECK_MAX = 160;
const MESSAGE_MAX = 300;

const levelOf = (s: Standing): number => s.level ?? 0;
const words = (s: Standing): string => `${s.verdict} L${levelOf(s)}`;

/** Is `now` worse than `before`: a lower level, or a fail where there was a pass? */
export function isWorse(now: Standing, before: Standing): boolean {
  if (levelOf(now) !== levelOf(before)) return levelOf(now) < levelOf(before);
  return before.verdict === 'pass' && now.verdict === 'fail';
}

export function decideLevelAlert(input: LevelAlertInput): LevelAlert {
  const { run, previous, open } = input;
  if (run.verdict === 'error')
    return { action: 'nothing', why: `run ${run.id} is an error: cc-ci's or the host's, not the recipe's` };
  if (open) {
    if (!isWorse(run, open.baseline)) return { action: 'close', comment: backComment(input, open.baseline) };
    return { action: 'update', ...alertText(input, open.baseline), baseline: open.baseline };
  }
  if (!previous) return { action: 'nothing', why: `run ${run.id} is the first default-branch run: nothing to compare` };
  if (!isWorse(run, previous))
    return { action: 'nothing', why: `${words(run)} is no worse than ${words(previous)} before` };
  return { action: 'open', ...alertText(input, previous), baseline: previous };
}

/** The title and body of an open alert: the drop from the baseline to the new run. */
function alertText(input: LevelAlertInput, baseline: Standing): { title: string; body: string } {
  const { recipe, run, publicUrl } = input;
  const change =
    levelOf(run) < levelOf(baseline)
      ? `dropped from L${levelOf(baseline)} to L${levelOf(run)}`
      : `fails at L${levelOf(run)}, passed at L${levelOf(baseline)} before`;
  const link = `${publicUrl}/runs/${run.id}`;
  const commit = run.sha ? ` at \`${run.sha.slice(0, 8)}\`` : '';
  const lines = [
    `**cc-ci**: ${recipe}'s default branch${commit} is now **${words(run)}**, ` +
      `down from **${words(baseline)}**. [Run ${run.id}](${link})`,
  ];
  const failing = firstFailure(run.stages);
  if (failing) {
    const check = untrustedInline(failing.check, CHECK_MAX);
    lines.push(
      '',
      `Failing stage: **${failing.stage}** › ${check}`,
      '',
      `> ${untrustedInline(failing.message, MESSAGE_MAX)}`,
    );
  }
  lines.push(
    '',
    `cc-ci updates this issue after each default-branch run and closes it when ${recipe} is back at ` +
      `${words(baseline)} or better.`,
  );
  return { title: `cc-ci: ${recipe} ${change}`, body: lines.join('\n') };
}

function backComment(input: LevelAlertInput, baseline: Standing): string {
  const { recipe, run, publicUrl } = input;
  const commit = run.sha ? ` at \`${run.sha.slice(0, 8)}\`` : '';
  return (
    `**cc-ci**: ${recipe} is back: ${words(run)}${commit} (it was ${words(baseline)} before the drop). ` +
    `[Run ${run.id}](${publicUrl}/runs/${run.id})`
  );
}
