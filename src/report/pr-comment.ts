// The reply cc-ci posts on a pull request and edits as the run moves (DESIGN §1): queued with
// its place in the queue, running with the current stage, then the verdict with the level, a
// stage table, the duration, the failing check's message and the summary card. A superseded or
// cancelled run says so and links the run that replaced it. And the commit status that goes with
// each state. Pure functions: the forge bridge posts what they return.
// Everything in it that cc-ci did not write is inline code (./markdown.ts).
import { isTerminal, type RunRecord, type StageRow } from '../model/run.js';
import { untrustedCell, untrustedInline } from './markdown.js';
import { naNote } from './verdict.js';

export interface CommentInput {
  run: RunRecord;
  stages: StageRow[];
  /** `<dashboard.publicUrl>`, without a trailing slash. */
  publicUrl: string;
  queuePosition?: number;
  /** The PR head when the run was accepted: the commit it is pinned to. */
  acceptedSha: string;
  /** Said once: the comment asked for --keep while keeping is switched off. */
  keepOff?: boolean;
}

export type StatusState = 'pending' | 'success' | 'failure' | 'error';

export const stateWords: Record<RunRecord['state'], string> = {
  queued: '⏳ queued',
  running: '🔄 running',
  passed: '✅ passed',
  failed: '❌ failed',
  errored: '⚠️ errored',
  cancelled: '⏹️ cancelled',
  superseded: '⏭️ superseded',
  interrupted: '⚠️ interrupted',
};

/** The longest failure or error message quoted, and the longest table cell or check name. */
const MESSAGE_MAX = 300;
const CELL_MAX = 160;

const statusIcons: Record<string, string> = { pass: '✅', fail: '❌', error: '⚠️', skip: '➖', na: '➖' };

export function renderComment(c: CommentInput): string {
  const { run, publicUrl } = c;
  const link = `${publicUrl}/runs/${run.id}`;
  const sha = (run.sha ?? c.acceptedSha).slice(0, 8);
  const lines = [`**cc-ci** · ${run.recipe} at \`${sha}\` · [run ${run.id}](${link})`, ''];
  if (run.state === 'queued') {
    lines.push(`${stateWords.queued}${c.queuePosition ? ` — #${c.queuePosition} in the queue` : ''}`);
  } else if (run.state === 'running') {
    lines.push(`${stateWords.running}${run.currentStage ? ` — stage **${run.currentStage}**` : ''}`);
  } else if (run.state === 'superseded') {
    const by = run.supersededBy ? `[run ${run.supersededBy}](${publicUrl}/runs/${run.supersededBy})` : 'a newer run';
    lines.push(`${stateWords.superseded} by ${by}: a newer \`!testme\` on this pull request replaced it.`);
  } else if (run.state === 'cancelled') {
    const why = run.error?.message ? ` — ${untrustedInline(run.error.message, MESSAGE_MAX)}` : '';
    lines.push(`${stateWords.cancelled}${why}. Comment \`!testme\` to run it again.`);
  } else {
    lines.push(verdictLine(run));
    // git and abra output in an error message can carry text from the PR.
    if (run.error && run.state !== 'failed')
      lines.push('', `\`${run.error.code}\` ${untrustedInline(run.error.message, MESSAGE_MAX)}`);
    const failing = firstFailure(c.stages);
    if (failing) {
      const check = untrustedInline(failing.check, CELL_MAX);
      lines.push('', `> **${failing.stage} › ${check}**: ${untrustedInline(failing.message, MESSAGE_MAX)}`);
    }
  }
  if (c.stages.length > 0 && run.state !== 'queued') lines.push('', ...stageTable(c.stages));
  if (c.keepOff)
    lines.push(
      '',
      '`--keep` was asked for, but keeping failed deployments is switched off on this server ' +
        '(`runner.keepOnFailure: 0`): everything is torn down.',
    );
  if (isTerminal(run) && ['passed', 'failed', 'errored'].includes(run.state))
    lines.push('', `[![cc-ci summary](${link}/card.png)](${link})`);
  return lines.join('\n') + '\n';
}

/** The commit status of a run in this state (context `cc-ci`, target the run page). */
export function statusFor(run: RunRecord): { state: StatusState; description: string } {
  switch (run.state) {
    case 'queued':
      return { state: 'pending', description: 'queued' };
    case 'running':
      return { state: 'pending', description: run.currentStage ? `running: ${run.currentStage}` : 'running' };
    case 'passed':
      return {
        state: 'success',
        description: `pass, level L${run.level ?? 0}${duration(run) ? ` in ${duration(run)}` : ''}`,
      };
    case 'failed':
      return { state: 'failure', description: `fail, level L${run.level ?? 0}` };
    case 'superseded':
      return { state: 'error', description: `superseded by run ${run.supersededBy ?? 'a newer run'}` };
    case 'cancelled':
      return { state: 'error', description: 'cancelled' };
    // An infrastructure error is never reported as the recipe's failure.
    default:
      return { state: 'error', description: `${run.state}: ${run.error?.code ?? 'error'} (not the recipe's fault)` };
  }
}

function verdictLine(run: RunRecord): string {
  const took = duration(run);
  return `${stateWords[run.state]} · level **L${run.level ?? 0}**${took ? ` · ${took}` : ''}`;
}

function stageTable(stages: StageRow[]): string[] {
  return [
    '| stage | | time | |',
    '| --- | --- | --- | --- |',
    ...stages.map((s) => {
      const advisory = s.advisory && s.status === 'fail' ? ' (advisory)' : '';
      const status = `${statusIcons[s.status] ?? ''} ${s.status}${advisory}`;
      const time = s.durationMs !== undefined ? seconds(s.durationMs) : '';
      const why = untrustedCell(s.status === 'pass' ? '' : (s.reason ?? ''), CELL_MAX);
      // Whether an na counted for the level is cc-ci's own words, outside the untrusted reason.
      const note = naNote(s);
      return `| ${s.name} | ${status} | ${time} | ${note ? `${note}: ` : ''}${why} |`;
    }),
  ];
}

function firstFailure(stages: StageRow[]): { stage: string; check: string; message: string } | undefined {
  for (const s of stages) {
    if (s.status !== 'fail' || s.advisory) continue;
    const row = s.checks.find((c) => c.status === 'fail');
    return { stage: s.name, check: row?.name ?? s.name, message: row?.detail ?? s.reason ?? 'failed' };
  }
  return undefined;
}

function duration(run: RunRecord): string | undefined {
  if (!run.startedAt || !run.finishedAt) return undefined;
  return seconds(Date.parse(run.finishedAt) - Date.parse(run.startedAt));
}

function seconds(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`;
}
