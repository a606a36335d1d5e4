// Log lines in the style of the real abra (charmbracelet/log levels: DEBU, INFO, WARN, FATA).
// The real abra prints FATA on stdout (interfaces.md A.8.3), so every line goes to stdout,
// except in machine mode (-m), where INFO/WARN go to stderr so stdout stays parseable JSON.

/** An error that ends the command with a FATA line and exit status 1. */
export class AbraError extends Error {
  override readonly name = 'AbraError';
}

interface LogState {
  debug: boolean;
  machine: boolean;
}

const state: LogState = { debug: false, machine: false };

/** Set once by main after the global flags are parsed. */
export function configureLog(opts: Partial<LogState>): void {
  Object.assign(state, opts);
}

function write(level: string, msg: string, toStderr: boolean): void {
  const line = `${level} ${msg}\n`;
  if (toStderr) process.stderr.write(line);
  else process.stdout.write(line);
}

export function debug(msg: string): void {
  if (state.debug) write('DEBU', msg, true);
}

export function info(msg: string): void {
  write('INFO', msg, state.machine);
}

export function warn(msg: string): void {
  write('WARN', msg, state.machine);
}

/** FATA always goes to stdout, like the real abra. */
export function fatalLine(msg: string): void {
  write('FATA', msg, false);
}

/** A FATA line on stderr, for a machine-readable result that is itself a failure (lint -m):
 *  stdout then holds only the JSON. The caller sets the exit status. */
export function fatalStderr(msg: string): void {
  write('FATA', msg, true);
}

/** Plain output (tables, JSON): always stdout. */
export function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Throw helper so callers can write `return fail(...)` in expression position. */
export function fail(msg: string): never {
  throw new AbraError(msg);
}
