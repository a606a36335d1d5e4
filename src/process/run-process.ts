// The one way cc-ci runs a program: an argument array (never a shell), an explicit environment,
// its own process group so a timeout or a cancel kills everything it started, and its output
// handed over line by line for the (redacting) log.
import { execa } from 'execa';
import { guardGroup } from './process-group.js';

export interface RunProcessOptions {
  cwd?: string;
  /** The whole environment of the child; nothing is inherited implicitly. */
  env: Record<string, string | undefined>;
  timeoutMs?: number;
  signal?: AbortSignal;
  input?: string;
  /** Run as this user and group (used to drop root for untrusted code). */
  uid?: number;
  gid?: number;
  /** Each output line, as soon as it is complete. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export interface ProcessResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  cancelled: boolean;
}

export async function runProcess(
  file: string,
  args: readonly string[],
  options: RunProcessOptions,
): Promise<ProcessResult> {
  const { onLine } = options;
  const tap = (stream: 'stdout' | 'stderr') =>
    function* (line: unknown) {
      onLine?.(String(line), stream);
      yield line;
    };
  const child = execa(file, args, {
    cwd: options.cwd,
    env: options.env,
    extendEnv: false,
    shell: false,
    detached: true,
    uid: options.uid,
    gid: options.gid,
    reject: false,
    stripFinalNewline: true,
    input: options.input,
    stdin: options.input === undefined ? 'ignore' : 'pipe',
    stdout: [tap('stdout')],
    stderr: [tap('stderr')],
  });
  const guard = guardGroup(child.pid, options);
  try {
    const result = await child;
    return {
      exitCode: result.exitCode ?? (result.signal ? 128 : 1),
      stdout: String(result.stdout ?? ''),
      stderr: String(result.stderr ?? ''),
      timedOut: guard.timedOut,
      cancelled: guard.cancelled,
    };
  } finally {
    guard.release();
  }
}
