// Subprocesses (docker, git, restic, cp) run with argument arrays only, never a shell string.
import { execa } from 'execa';
import { debug, fail } from './log.js';

export interface RunOptions {
  cwd?: string;
  input?: string;
  /** replaces the inherited environment entirely when set (see cleanEnv) */
  env?: Record<string, string>;
  /** when false, a non-zero exit is returned instead of thrown */
  check?: boolean;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Run a program; by default a non-zero exit becomes a FATA with the program's own error text. */
export async function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  debug(`running: ${cmd} ${args.join(' ')}${opts.cwd ? ` (in ${opts.cwd})` : ''}`);
  const res = await execa(cmd, args, {
    cwd: opts.cwd,
    input: opts.input,
    env: opts.env,
    extendEnv: opts.env === undefined,
    reject: false,
    stripFinalNewline: true,
  });
  if (res.failed && res.exitCode === undefined) {
    return fail(`${cmd}: ${res.shortMessage}`);
  }
  const result = { stdout: res.stdout, stderr: res.stderr, exitCode: res.exitCode ?? 1 };
  if (opts.check !== false && result.exitCode !== 0) {
    const text = (result.stderr || result.stdout).trim();
    return fail(text.length > 0 ? text : `${cmd} ${args[0] ?? ''} exited with ${result.exitCode}`);
  }
  return result;
}

export function docker(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return run('docker', args, opts);
}

export function git(cwd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return run('git', args, { ...opts, cwd });
}

/** The parts of our own environment docker needs, without variables that could leak into
 *  compose interpolation; the app's variables are added on top by the caller. */
export function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const keep = ['PATH', 'HOME', 'USER', 'TMPDIR', 'LANG', 'LC_ALL'];
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && (keep.includes(k) || k.startsWith('DOCKER_'))) env[k] = v;
  }
  return { ...env, ...extra };
}

/** Parse `docker … --format '{{json .}}'` output: one JSON object a line. */
export function jsonLines<T>(text: string): T[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as T);
}
