#!/usr/bin/env node
// Entry of the testbed's stand-in `abra`: resolve the command words, parse flags, run, and
// turn any error into a `FATA …` line on stdout with exit status 1.
import { GLOBAL_FLAGS, parseArgs, flagBool } from './args.js';
import { COMMANDS, type Command } from './commands.js';
import { commandHelp, groupHelp } from './help.js';
import { AbraError, configureLog, fail, fatalLine, out } from './log.js';
import { requireTerminal } from './terminal.js';

export const VERSION = '0.0.0-testbed';

const isGlobalFlag = (tok: string): boolean =>
  GLOBAL_FLAGS.some((g) => tok === `--${g.long}`) ||
  (/^-[a-zA-Z]+$/.test(tok) && [...tok.slice(1)].every((c) => GLOBAL_FLAGS.some((g) => g.short === c)));

/** Walk the command words (global flags may sit between them); the rest are the command's args. */
function resolve(argv: string[]): { cmd: Command | undefined; path: string[]; rest: string[] } {
  let candidates = COMMANDS;
  const path: string[] = [];
  const rest: string[] = [];
  let i = 0;
  for (; i < argv.length; i += 1) {
    const tok = argv[i] ?? '';
    if (isGlobalFlag(tok)) {
      rest.push(tok);
      continue;
    }
    if (tok.startsWith('-')) break;
    const depth = path.length;
    const next = candidates.filter((c) => c.words[depth]?.includes(tok));
    if (next.length === 0) break;
    candidates = next;
    path.push(tok);
    const leaf = next.find((c) => c.words.length === path.length);
    if (leaf !== undefined) return { cmd: leaf, path, rest: [...rest, ...argv.slice(i + 1)] };
  }
  return { cmd: undefined, path, rest: [...rest, ...argv.slice(i)] };
}

async function dispatch(argv: string[]): Promise<void> {
  if (argv[0] === '--version' || argv[0] === '-v' || argv[0] === 'version') {
    out(`abra version ${VERSION}`);
    return;
  }
  const { cmd, path, rest } = resolve(argv);
  const wantsHelp = rest.includes('--help') || rest.includes('-h');
  if (cmd === undefined) {
    const stray = rest.find((t) => !t.startsWith('-'));
    if (stray !== undefined && !wantsHelp) fail(`unknown command "${stray}" for "${['abra', ...path].join(' ')}"`);
    out(groupHelp(path));
    return;
  }
  if (wantsHelp) {
    out(commandHelp(cmd));
    return;
  }
  const parsed = parseArgs(rest, cmd.flags);
  configureLog({ debug: flagBool(parsed, 'debug'), machine: flagBool(parsed, 'machine') });
  const n = parsed.positionals.length;
  if (n < cmd.min) fail(`missing arguments; usage: abra ${cmd.usage}`);
  if (n > cmd.max)
    fail(`too many arguments (${parsed.positionals.slice(cmd.max).join(' ')}); usage: abra ${cmd.usage}`);
  if (cmd.terminal) requireTerminal(cmd.usage);
  await cmd.run(parsed);
}

try {
  await dispatch(process.argv.slice(2));
} catch (e) {
  fatalLine(e instanceof AbraError || e instanceof Error ? e.message : String(e));
  if (!(e instanceof AbraError) && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  process.exitCode = 1;
}
