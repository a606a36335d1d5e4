// abra against cc-ci's table of abra calls (src/abra/abra-calls.ts): `abra --version` answers,
// and every command cc-ci runs, with every flag it passes, is in that command's `--help`. Generic
// over the table: a new row is checked without a change here. `cc-ci serve` runs the same
// comparison at start-up and refuses to start on a mismatch.
import { CcciError } from '../model/errors.js';
import type { AbraCall } from '../abra/abra-calls.js';
import type { AbraAnswer, AbraProbe } from '../abra/abra-help.js';
import type { Outcome } from './check.js';
import { hasFlag, helpIsFor, parseCobraHelp } from '../abra/cobra-help.js';

const FIX =
  "install an abra whose --help lists them, or point swarm.abra at one (cc-ci's abra calls: docs/abra-contract.md)";

export async function checkAbraVersion(probe: AbraProbe, binary: string): Promise<Outcome> {
  const r = await probe.version();
  const line = firstLine(r.stdout) || firstLine(r.stderr);
  const where = probe.resolved ?? binary;
  if (probe.resolved === undefined) {
    return {
      ok: false,
      detail: `${binary} not found${binary.includes('/') ? '' : ' on PATH'} (or not executable)`,
      fix: 'install abra (https://docs.coopcloud.tech/abra/install/) or set swarm.abra to its path',
    };
  }
  if (r.timedOut)
    return {
      ok: false,
      detail: `${where} --version did not answer`,
      fix: 'check that this is abra and that it runs on this host',
    };
  if (r.exitCode !== 0 || !line) {
    return {
      ok: false,
      detail: `${where} --version exited ${r.exitCode}${line ? `: ${line}` : ' and printed nothing'}`,
      fix: 'check that swarm.abra is abra and that it runs on this host',
    };
  }
  return { ok: true, detail: `${line} at ${where}` };
}

interface CommandUse {
  command: string[];
  /** Each flag cc-ci always passes, with the ids of the calls that pass it. */
  flags: Map<string, string[]>;
  /** Flags cc-ci passes only when the help lists them. */
  optional: Map<string, string[]>;
}

/** Each command of the table with the flags cc-ci passes to it, and which calls pass each. */
function commandsOf(calls: readonly AbraCall[]): CommandUse[] {
  const byCommand = new Map<string, CommandUse>();
  const add = (into: Map<string, string[]>, flag: string, id: string) =>
    into.set(flag, [...(into.get(flag) ?? []), id]);
  for (const call of calls) {
    const key = call.command.join(' ');
    const entry = byCommand.get(key) ?? { command: [...call.command], flags: new Map(), optional: new Map() };
    for (const flag of call.flags) add(entry.flags, flag, call.id);
    for (const flag of call.optionalFlags ?? []) add(entry.optional, flag, call.id);
    byCommand.set(key, entry);
  }
  return [...byCommand.values()];
}

export interface AbraContractReport {
  commands: number;
  flags: number;
  /** One sentence a missing command or flag, naming it and the cc-ci call that uses it. */
  problems: string[];
  /** Optional flags this abra does not have (cc-ci works without them). */
  absentOptional: string[];
}

// abra `--help` calls at once: nine at a time on a busy 2-core host kept each from starting within
// its time limit (the testbed's abra is a node program); three keep the check quick and sure.
const HELPS_AT_ONCE = 3;

/** Asks `abra <command…> --help` for every command of the table (a few at a time) and compares. */
export async function compareAbraWithCalls(probe: AbraProbe, calls: readonly AbraCall[]): Promise<AbraContractReport> {
  const commands = commandsOf(calls);
  const helps: AbraAnswer[] = new Array<AbraAnswer>(commands.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < commands.length; i = next++) helps[i] = await probe.help(commands[i]!.command);
  };
  await Promise.all(Array.from({ length: Math.min(HELPS_AT_ONCE, commands.length) }, worker));
  const judged = commands.map((c, i) => judge(c, helps[i]!));
  return {
    commands: commands.length,
    flags: commands.reduce((n, c) => n + c.flags.size, 0),
    problems: judged.flatMap((j) => j.problems),
    absentOptional: judged.flatMap((j) => j.absentOptional),
  };
}

const callsNamed = (ids: string[]) =>
  `cc-ci's call${ids.length > 1 ? 's' : ''} ${ids.map((id) => JSON.stringify(id)).join(', ')}`;

function judge(use: CommandUse, answer: AbraAnswer): { problems: string[]; absentOptional: string[] } {
  const name = ['abra', ...use.command].join(' ');
  const usedBy = `used by ${callsNamed([...new Set([...use.flags.values(), ...use.optional.values()].flat())])}`;
  const fail = (problem: string) => ({ problems: [problem], absentOptional: [] });
  if (answer.timedOut) return fail(`${name} --help did not answer; ${usedBy}`);
  const fromStdout = parseCobraHelp(answer.stdout);
  const help = fromStdout.usagePath !== undefined ? fromStdout : parseCobraHelp(answer.stderr);
  if (help.usagePath === undefined) {
    const said = firstLine(answer.stderr) || firstLine(answer.stdout);
    return fail(`${name} --help printed no usage (exit ${answer.exitCode}${said ? `: ${said}` : ''}); ${usedBy}`);
  }
  if (!helpIsFor(help, use.command)) {
    const shown = ['abra', ...help.usagePath].join(' ');
    return fail(
      use.command.length === 0
        ? `abra --help is not abra's own help (its usage line is "${shown}"); ${usedBy}`
        : `${name}: no such command (its --help is that of "${shown}"); ${usedBy}`,
    );
  }
  return {
    problems: [...use.flags]
      .filter(([flag]) => !hasFlag(help, flag))
      .map(([flag, ids]) => `${name} has no ${flag} (passed by ${callsNamed(ids)})`),
    absentOptional: [...use.optional]
      .filter(([flag]) => !hasFlag(help, flag))
      .map(
        ([flag, ids]) =>
          `${name} has no ${flag}; optional: ${callsNamed(ids)} ${ids.length > 1 ? 'do' : 'does'} without it`,
      ),
  };
}

export async function checkAbraCommands(probe: AbraProbe, calls: readonly AbraCall[]): Promise<Outcome> {
  const report = await compareAbraWithCalls(probe, calls);
  const optional = report.absentOptional.length > 0 ? report.absentOptional : undefined;
  if (report.problems.length === 0) {
    return {
      ok: true,
      detail: `all ${report.commands} commands and ${report.flags} flags cc-ci uses are in abra's --help`,
      more: optional,
    };
  }
  return {
    ok: false,
    detail:
      `${report.problems.length} of the commands and flags cc-ci uses ` +
      `${report.problems.length === 1 ? 'is' : 'are'} missing from abra's --help:`,
    more: [...report.problems, ...(optional ?? [])],
    fix: FIX,
  };
}

/**
 * `cc-ci serve`'s start-up check: abra answers and has every command and flag cc-ci uses.
 * Throws ABRA_FAILED (exit 3) naming each missing one; returns abra's version line and the
 * optional flags it lacks.
 */
export async function assertAbraUsable(
  probe: AbraProbe,
  binary: string,
  calls: readonly AbraCall[],
): Promise<{ version: string; absentOptional: string[] }> {
  const version = await checkAbraVersion(probe, binary);
  if (!version.ok)
    throw new CcciError(
      'ABRA_FAILED',
      `abra is not usable: ${version.detail}; ${version.fix ?? ''} (cc-ci doctor checks the whole host)`,
    );
  const report = await compareAbraWithCalls(probe, calls);
  if (report.problems.length > 0) {
    throw new CcciError(
      'ABRA_FAILED',
      `${version.detail} lacks what cc-ci uses: ${report.problems.join('; ')}. ` +
        `To fix: ${FIX}; cc-ci doctor checks the whole host`,
    );
  }
  return { version: version.detail, absentOptional: report.absentOptional };
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find(Boolean) ?? ''
  );
}
