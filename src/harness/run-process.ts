// The one way cc-ci runs a program: an argument array (never a shell), an explicit environment,
// its own process group so a timeout or a cancel kills everything it started, and its output
// handed over line by line for the (redacting) log.
import { execa } from 'execa';

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

const KILL_GRACE_MS = 5_000;

export async function runProcess(file: string, args: readonly string[], options: RunProcessOptions): Promise<ProcessResult> {
  const { onLine } = options;
  const tap = (stream: 'stdout' | 'stderr') => function* (line: unknown) {
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
  let timedOut = false;
  let cancelled = false;
  const timer = options.timeoutMs
    ? setTimeout(() => { timedOut = true; killGroup(child.pid); }, options.timeoutMs)
    : undefined;
  const onAbort = () => { cancelled = true; killGroup(child.pid); };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  try {
    const result = await child;
    return {
      exitCode: result.exitCode ?? (result.signal ? 128 : 1),
      stdout: String(result.stdout ?? ''),
      stderr: String(result.stderr ?? ''),
      timedOut,
      cancelled,
    };
  } finally {
    if (timer) clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** TERM to the whole process group, KILL after a grace period. */
function killGroup(pid: number | undefined): void {
  if (!pid) return;
  const send = (signal: NodeJS.Signals) => {
    try { process.kill(-pid, signal); } catch { /* already gone */ }
  };
  send('SIGTERM');
  setTimeout(() => send('SIGKILL'), KILL_GRACE_MS).unref();
}
