// `--help` in cobra's layout (modern abra is cobra, interfaces.md A.5): Usage, Aliases,
// Available Commands, Flags, Global Flags. cc-ci's doctor and adapter read the flag lists, so
// every flag the stand-in accepts is listed, with the short form first as cobra prints it.
// The descriptions are ours (guess), except where A.5 quotes them.
import { GLOBAL_FLAGS, type FlagSpec } from './args.js';
import { COMMANDS, type Command } from './commands.js';

const ROOT_FLAGS: FlagSpec[] = [{ long: 'version', short: 'v', help: 'version for abra' }];

function flagLines(flags: FlagSpec[]): string[] {
  const left = flags.map((f) => `${f.short ? `-${f.short}, ` : '    '}--${f.long}${f.value ? ' string' : ''}`);
  const width = Math.max(0, ...left.map((l) => l.length));
  return flags.map((f, i) => `  ${(left[i] ?? '').padEnd(width)}   ${f.help ?? ''}`.trimEnd());
}

const globals = (): FlagSpec[] => GLOBAL_FLAGS.filter((g) => g.long !== 'help');
const helpFlag = (name: string): FlagSpec => ({ long: 'help', short: 'h', help: `help for ${name}` });
const byLong = (a: FlagSpec, b: FlagSpec): number => a.long.localeCompare(b.long);

export function commandHelp(cmd: Command): string {
  const name = cmd.words[cmd.words.length - 1] ?? [];
  return [
    cmd.short,
    '',
    'Usage:',
    `  abra ${cmd.usage}`,
    '',
    'Aliases:',
    `  ${name.join(', ')}`,
    '',
    'Flags:',
    ...flagLines([...cmd.flags, helpFlag(name[0] ?? '')].sort(byLong)),
    '',
    'Global Flags:',
    ...flagLines(globals()),
  ].join('\n');
}

/** Help of `abra`, `abra app`, `abra app backup`, …: the subcommands one level down. */
export function groupHelp(path: string[]): string {
  const under = COMMANDS.filter((c) => path.every((w, i) => c.words[i]?.includes(w)) && c.words.length > path.length);
  const children = new Map<string, string>();
  for (const c of under) {
    const word = c.words[path.length]?.[0] ?? '';
    if (!children.has(word)) children.set(word, c.words.length === path.length + 1 ? c.short : `Manage ${word}s`);
  }
  const width = Math.max(0, ...[...children.keys()].map((k) => k.length));
  const commands = [...children]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([w, short]) => `  ${w.padEnd(width)}   ${short}`);
  const aliases = path.length > 0 ? (under[0]?.words[path.length - 1] ?? []) : [];
  const name = ['abra', ...path].join(' ');
  const flags =
    path.length === 0
      ? [...globals(), helpFlag('abra'), ...ROOT_FLAGS].sort(byLong)
      : [helpFlag(path[path.length - 1] ?? '')];
  return [
    'Usage:',
    `  ${name} [command]`,
    '',
    ...(aliases.length > 0 ? ['Aliases:', `  ${aliases.join(', ')}`, ''] : []),
    'Available Commands:',
    ...commands,
    '',
    'Flags:',
    ...flagLines(flags),
    ...(path.length > 0 ? ['', 'Global Flags:', ...flagLines(globals())] : []),
    '',
    `Use "${name} [command] --help" for more information about a command.`,
  ].join('\n');
}
