// A long-lived helper program (the demo's stand-in forge): an argument array, its own process
// group, its first stdout line as the ready signal, and a stop that ends the whole group.
import { execa } from 'execa';
import { signalGroup } from './process-group.js';

export interface BackgroundProcess {
  readonly pid: number;
  /** The first line the program printed on stdout; rejects if it exits or times out first. */
  readonly ready: Promise<string>;
  /** Resolves with the exit code once the program has ended. */
  readonly exited: Promise<number>;
  /** TERM to the group, KILL after `graceMs`; resolves once it has ended. */
  stop(graceMs?: number): Promise<number>;
}

export interface BackgroundOptions {
  env: Record<string, string | undefined>;
  cwd?: string;
  readyTimeoutMs: number;
  /** What the program should be, for the error messages ("the stand-in forge"). */
  what: string;
  /** Every output line after the ready line, and stderr. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export function startBackground(file: string, args: readonly string[], opts: BackgroundOptions): BackgroundProcess {
  let resolveReady: (line: string) => void = () => undefined;
  let rejectReady: (err: Error) => void = () => undefined;
  const ready = new Promise<string>((res, rej) => {
    resolveReady = res;
    rejectReady = rej;
  });
  let gotReady = false;
  const stderrTail: string[] = [];
  const tap = (stream: 'stdout' | 'stderr') =>
    function* (line: unknown) {
      const text = String(line);
      if (stream === 'stdout' && !gotReady) {
        gotReady = true;
        resolveReady(text);
      } else {
        if (stream === 'stderr' && stderrTail.push(text) > 10) stderrTail.shift();
        opts.onLine?.(text, stream);
      }
      yield line;
    };
  const child = execa(file, args, {
    cwd: opts.cwd,
    env: opts.env,
    extendEnv: false,
    shell: false,
    detached: true,
    reject: false,
    stdin: 'ignore',
    stdout: [tap('stdout')],
    stderr: [tap('stderr')],
    buffer: false,
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${opts.what} (${file})`);
  const signal = (sig: NodeJS.Signals) => signalGroup(pid, sig);
  const exited = child.then((r) => r.exitCode ?? (r.signal ? 128 : 1));
  void exited.then((code) => {
    if (!gotReady)
      rejectReady(
        new Error(
          `${opts.what} exited ${code} before it was ready${stderrTail.length ? `: ${stderrTail.join(' | ')}` : ''}`,
        ),
      );
  });
  const timer = setTimeout(() => {
    if (gotReady) return;
    rejectReady(
      new Error(
        `${opts.what} printed nothing within ${Math.round(opts.readyTimeoutMs / 1000)} s of starting; stopped it`,
      ),
    );
    signal('SIGKILL');
  }, opts.readyTimeoutMs);
  void ready.finally(() => clearTimeout(timer)).catch(() => undefined);
  return {
    pid,
    ready,
    exited,
    async stop(graceMs = 5_000) {
      signal('SIGTERM');
      const kill = setTimeout(() => signal('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(kill);
      }
    },
  };
}
