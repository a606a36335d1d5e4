// The `!testme` trigger grammar: which comment starts a run, with which stages. A comment
// triggers when one of its lines (trimmed) is exactly `!testme`, optionally followed by flags:
// `--quick` (install only), `--stages install,upgrade` (or `--stages=install,upgrade`), `--keep`.
// Lines inside fenced code blocks never count; a quoted line (`> !testme`) or `!testme` inside
// other text does not match because the trimmed line must start with it. Anything that looks
// like a command but is not a valid one (unknown flags, bad stage names, `!testmexyz`) starts
// nothing and gets the usage reply.
import { stageNames, type StageName } from '../model/stage.js';
import { codeSpan } from '../report/markdown.js';

export const TRIGGER_WORD = '!testme';

export interface RunCommand {
  kind: 'run';
  /** The stages asked for with `--stages`, in the order given; absent means all (or `quick`). */
  stages?: StageName[];
  /** `--quick`: install only. Never together with `stages`. */
  quick: boolean;
  /** `--keep`: keep a failed deployment for the configured hours. */
  keep: boolean;
  /** The matching line, trimmed. */
  line: string;
}

export interface UsageCommand {
  kind: 'usage';
  /** What is wrong with the line, plain text (user tokens quoted). */
  problem: string;
  line: string;
}

export type TriggerCommand = RunCommand | UsageCommand;

/** Longest line looked at; a longer `!testme …` line is a usage error, not parsed. */
const MAX_LINE = 500;

/**
 * The command in a comment body, or undefined when the comment is not a trigger at all.
 * The first line that is `!testme` or `!testme <flags>` counts; only when there is none does a
 * `!testme<word>` line (a typo like `!testmexyz` or `!testme--quick`) give the usage reply.
 */
export function parseTrigger(body: string): TriggerCommand | undefined {
  let typo: UsageCommand | undefined;
  for (const line of contentLines(body)) {
    if (!line.startsWith(TRIGGER_WORD)) continue;
    const rest = line.slice(TRIGGER_WORD.length);
    if (rest === '' || /^\s/.test(rest)) return parseFlags(line, rest);
    const word = /^\S+/.exec(line)?.[0] ?? line;
    if (typo === undefined && /^[A-Za-z0-9_-]+$/.test(word.slice(TRIGGER_WORD.length))) {
      typo = { kind: 'usage', problem: `unknown command ${quote(word)}: the command is ${TRIGGER_WORD}`, line };
    }
  }
  return typo;
}

/** The trimmed lines of a body outside fenced code blocks (CommonMark: ``` or ~~~, at least 3). */
function* contentLines(body: string): Generator<string> {
  let fence: { char: string; length: number } | undefined;
  for (const raw of body.split(/\r\n|\r|\n/)) {
    const line = raw.trim();
    const marker = /^(`{3,}|~{3,})(.*)$/.exec(line);
    if (fence) {
      // A closing fence: the same character, at least as long, nothing after it.
      if (marker && marker[1]!.startsWith(fence.char) && marker[1]!.length >= fence.length && marker[2]!.trim() === '')
        fence = undefined;
      continue;
    }
    // A backtick fence's info string may not contain a backtick (then it is inline code).
    if (marker && !(marker[1]!.startsWith('`') && marker[2]!.includes('`'))) {
      fence = { char: marker[1]![0]!, length: marker[1]!.length };
      continue;
    }
    yield line;
  }
}

function parseFlags(line: string, rest: string): TriggerCommand {
  const usage = (problem: string): UsageCommand => ({ kind: 'usage', problem, line });
  if (line.length > MAX_LINE) return usage(`the line is longer than ${MAX_LINE} characters`);
  const tokens = rest
    .trim()
    .split(/\s+/)
    .filter((t) => t !== '');
  let quick = false;
  let keep = false;
  let stages: StageName[] | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token === '--quick' || token === '--keep') {
      if ((token === '--quick' && quick) || (token === '--keep' && keep)) return usage(`${token} is given twice`);
      if (token === '--quick') quick = true;
      else keep = true;
      continue;
    }
    if (token === '--stages' || token.startsWith('--stages=')) {
      if (stages !== undefined) return usage('--stages is given twice');
      let list: string | undefined;
      if (token === '--stages') {
        const next = tokens[i + 1];
        if (next === undefined || next.startsWith('--'))
          return usage(`--stages needs a list of stages, like --stages install,upgrade`);
        list = next;
        i++;
      } else {
        list = token.slice('--stages='.length);
        if (list === '') return usage(`--stages needs a list of stages, like --stages=install,upgrade`);
      }
      const parsed = parseStageList(list);
      if (typeof parsed === 'string') return usage(parsed);
      stages = parsed;
      continue;
    }
    if (/^--(quick|keep)=/.test(token)) return usage(`${token.slice(0, token.indexOf('='))} takes no value`);
    if (token.startsWith('-')) return usage(`unknown flag ${quote(token)}`);
    return usage(
      `unexpected ${quote(token)}` +
        (stages !== undefined ? ' (write the stage list without spaces: --stages install,upgrade)' : ''),
    );
  }
  if (quick && stages !== undefined) return usage('--quick and --stages cannot be combined: --quick is install only');
  return { kind: 'run', ...(stages !== undefined ? { stages } : {}), quick, keep, line };
}

/** The stages of a comma-separated list, or what is wrong with it. */
function parseStageList(list: string): StageName[] | string {
  const names = list.split(',');
  const seen: StageName[] = [];
  for (const name of names) {
    if (name === '')
      return `empty stage name in ${quote(list)}: use a comma-separated list without spaces, like install,upgrade`;
    if (!(stageNames as readonly string[]).includes(name))
      return `unknown stage ${quote(name)}: the stages are ${stageNames.join(', ')}`;
    const stage = name as StageName;
    if (seen.includes(stage)) return `stage ${stage} is given twice`;
    seen.push(stage);
  }
  return seen;
}

/** A user's token for a message: quoted, and short. */
function quote(token: string): string {
  return JSON.stringify(token.length > 40 ? `${token.slice(0, 40)}…` : token);
}

/** The short markdown reply to a malformed command; `problem` (plain text) is shown as code. */
export function usageText(problem?: string): string {
  const lines: string[] = [];
  if (problem !== undefined) lines.push(`Not started: ${codeSpan(problem)}`, '');
  lines.push(
    `**Usage:** a line of the comment that is exactly \`${TRIGGER_WORD}\`, optionally followed by flags:`,
    '',
    '- `--quick` — install only',
    '- `--stages install,upgrade` (or `--stages=install,upgrade`) — only these stages, comma-separated, no spaces',
    '- `--keep` — keep a failed deployment for the configured hours',
    '',
    `Stages: ${stageNames.map((s) => `\`${s}\``).join(', ')}. ` +
      "Without flags the server's usual stages run; `--quick` and `--stages` cannot be combined.",
    '',
    `Example: \`${TRIGGER_WORD} --stages install,upgrade --keep\``,
  );
  return lines.join('\n');
}

/** "all stages" / "install only" / "stages install, upgrade", plus ", keep on failure". */
export function describeCommand(cmd: RunCommand): string {
  const what = cmd.quick ? 'install only' : cmd.stages !== undefined ? `stages ${cmd.stages.join(', ')}` : 'all stages';
  return cmd.keep ? `${what}, keep on failure` : what;
}
