// Cobra-style argv parsing: flags may come before or after positionals, `--flag=value`,
// `-f value`, `-fvalue`, grouped booleans (`-nC`), and `--` ends the flags.
import { fail } from './log.js';

export interface FlagSpec {
  long: string;
  short?: string;
  /** true when the flag takes a value */
  value?: boolean;
  /** one line for --help */
  help?: string;
}

export interface Parsed {
  flags: Map<string, string | true>;
  positionals: string[];
}

/** Global flags accepted by every command (all boolean). */
export const GLOBAL_FLAGS: FlagSpec[] = [
  { long: 'no-input', short: 'n', help: 'toggle non-interactive mode' },
  { long: 'debug', short: 'd', help: 'show debug messages' },
  { long: 'offline', short: 'o', help: 'prefer offline & filesystem access' },
  { long: 'help', short: 'h', help: 'help for this command' },
];

function byShort(specs: FlagSpec[], s: string): FlagSpec | undefined {
  return specs.find((f) => f.short === s);
}

function byLong(specs: FlagSpec[], l: string): FlagSpec | undefined {
  return specs.find((f) => f.long === l);
}

/** Parse the tokens after the command words against the command's flags plus the globals. */
export function parseArgs(tokens: string[], commandFlags: FlagSpec[]): Parsed {
  const specs = [...commandFlags, ...GLOBAL_FLAGS];
  const flags = new Map<string, string | true>();
  const positionals: string[] = [];
  let i = 0;
  const takeValue = (spec: FlagSpec, inline: string | undefined): void => {
    if (inline !== undefined) {
      flags.set(spec.long, inline);
      return;
    }
    const next = tokens[i + 1];
    if (next === undefined) fail(`flag needs an argument: --${spec.long}`);
    flags.set(spec.long, next);
    i += 1;
  };
  for (; i < tokens.length; i += 1) {
    const tok = tokens[i] ?? '';
    if (tok === '--') {
      positionals.push(...tokens.slice(i + 1));
      break;
    }
    if (tok.startsWith('--')) {
      const eq = tok.indexOf('=');
      const name = eq >= 0 ? tok.slice(2, eq) : tok.slice(2);
      const spec = byLong(specs, name) ?? fail(`unknown flag: --${name}`);
      if (spec.value) takeValue(spec, eq >= 0 ? tok.slice(eq + 1) : undefined);
      else flags.set(spec.long, true);
      continue;
    }
    if (tok.startsWith('-') && tok.length > 1) {
      parseShortGroup(tok.slice(1), specs, flags, (spec, inline) => takeValue(spec, inline));
      continue;
    }
    positionals.push(tok);
  }
  return { flags, positionals };
}

/** `-nC` sets both booleans; `-sdefault` / `-s default` give a value to a value flag. */
function parseShortGroup(
  group: string,
  specs: FlagSpec[],
  flags: Map<string, string | true>,
  takeValue: (spec: FlagSpec, inline: string | undefined) => void,
): void {
  for (let j = 0; j < group.length; j += 1) {
    const ch = group[j] ?? '';
    const spec = byShort(specs, ch) ?? fail(`unknown shorthand flag: '${ch}' in -${group}`);
    if (spec.value) {
      const rest = group.slice(j + 1).replace(/^=/, '');
      takeValue(spec, rest.length > 0 ? rest : undefined);
      return;
    }
    flags.set(spec.long, true);
  }
}

export function flagBool(p: Parsed, long: string): boolean {
  return p.flags.get(long) === true;
}

export function flagString(p: Parsed, long: string): string | undefined {
  const v = p.flags.get(long);
  return typeof v === 'string' ? v : undefined;
}
