// Reads the `--help` text of a cobra program (abra 0.9 and later); `cc-ci doctor` and `cc-ci
// serve`'s start-up check compare it with src/abra/abra-calls.ts. For example:
//
//   Usage:
//     abra app deploy <domain> [version] [flags]
//
//   Aliases:
//     deploy, d
//
//   Flags:
//     -C, --chaos                ignore uncommitted recipes changes
//     -c, --no-converge-checks   disable converge logic checks
//     -s, --server string        ...
//
//   Global Flags:
//     -n, --no-input   toggle non-interactive mode
//
// Written by hand: no library parses another program's help. It is lenient on purpose, so an
// urfave/cli-style help (`USAGE:`, `OPTIONS:` with `--chaos, -C`) reads the same way.

export interface CobraHelp {
  /**
   * The command words of the first usage line, after the program's name (`['app', 'deploy']`);
   * undefined without a usage section.
   */
  usagePath: string[] | undefined;
  /** The command's name and aliases (`['deploy', 'd']`), when the help lists them. */
  aliases: string[];
  /** Every flag of the command's own flag section, short and long (`-c`, `--no-converge-checks`). */
  flags: Set<string>;
  /** Flags inherited from parent commands (cobra's "Global Flags"). */
  globalFlags: Set<string>;
  /** Names of the subcommands listed under "Available Commands". */
  subcommands: string[];
}

type Section = 'usage' | 'aliases' | 'flags' | 'global' | 'commands' | 'other';

function sectionOf(header: string): Section {
  const h = header.trim().toLowerCase();
  if (h === 'usage') return 'usage';
  if (h === 'aliases') return 'aliases';
  if (h === 'flags' || h === 'options') return 'flags';
  if (h === 'global flags' || h === 'global options') return 'global';
  if (h === 'available commands' || h === 'commands') return 'commands';
  return 'other';
}

// eslint-disable-next-line no-control-regex -- terminal colour codes start with ESC
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;
const HEADER = /^([A-Za-z][A-Za-z ]*):\s*$/;
const COMMAND_WORD = /^[a-z][a-z0-9-]*$/;
const FLAG_TOKEN = /^--?[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export function parseCobraHelp(text: string): CobraHelp {
  const help: CobraHelp = {
    usagePath: undefined,
    aliases: [],
    flags: new Set(),
    globalFlags: new Set(),
    subcommands: [],
  };
  let section: Section = 'other';
  for (const raw of text.replace(ANSI, '').split(/\r?\n/)) {
    const header = HEADER.exec(raw);
    if (header) {
      section = sectionOf(header[1]!);
      continue;
    }
    const line = raw.trim();
    if (line === '') continue;
    // A section's lines are indented; an unindented line ends it (a description paragraph).
    if (!/^\s/.test(raw)) {
      section = 'other';
      continue;
    }
    if (section === 'usage' && help.usagePath === undefined) {
      const words = line.split(/\s+/).slice(1);
      const end = words.findIndex((w) => !COMMAND_WORD.test(w));
      help.usagePath = end < 0 ? words : words.slice(0, end);
    } else if (section === 'aliases' && help.aliases.length === 0) {
      help.aliases = line.split(/[,\s]+/).filter(Boolean);
    } else if ((section === 'flags' || section === 'global') && line.startsWith('-')) {
      for (const f of flagTokens(line)) (section === 'flags' ? help.flags : help.globalFlags).add(f);
    } else if (section === 'commands') {
      const name = line.split(/\s+/)[0];
      if (name && COMMAND_WORD.test(name)) help.subcommands.push(name);
    }
  }
  return help;
}

/** `-s, --server string   the server` → ['-s', '--server']; `--chaos, -C  …` → ['--chaos', '-C']. */
function flagTokens(line: string): string[] {
  // The flag names come before the description, which is set off by two spaces or a tab.
  const names = line.split(/\s{2,}|\t/)[0] ?? '';
  return names
    .split(/[,\s]+/)
    .map((t) => t.replace(/=.*$/, ''))
    .filter((t) => FLAG_TOKEN.test(t));
}

/**
 * Whether the help is that of `command` (cobra shows the parent's help for an unknown
 * subcommand): as many command words, and the last one is the name or an alias.
 */
export function helpIsFor(help: CobraHelp, command: readonly string[]): boolean {
  const path = help.usagePath;
  if (path === undefined || path.length !== command.length) return false;
  if (command.length === 0) return true;
  const asked = command[command.length - 1]!;
  if (path[path.length - 1] === asked) return true;
  // Asked by an alias (`app rm` shows `abra app remove`); without an aliases list, trust the depth.
  return help.aliases.length === 0 || help.aliases.includes(asked);
}

/** Whether the command accepts `flag` (`-c` or `--no-converge-checks`), its own or inherited. */
export function hasFlag(help: CobraHelp, flag: string): boolean {
  return help.flags.has(flag) || help.globalFlags.has(flag);
}
