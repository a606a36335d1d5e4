// Runs a program under a pseudo-terminal, for the abra calls that refuse to work without one
// (recipe lint, app backup create, app restore: interfaces.md A.8, the first cc-ci's `_run_pty`).
// Same discipline as run-process.ts: an argument array (never a shell built from input), an
// explicit environment, its own process group (forkpty makes the child a session leader, so its
// pid is the group id), TERM then KILL to the whole group on a timeout or a stop, and the output
// handed over line by line. A terminal has one output stream: stdout and stderr arrive merged, as
// a person sees them.
//
// Output written just before the program exits must not be lost (it is a run's log). Reading the
// terminal cannot tell when it has all of it: once the program's side of the terminal is closed,
// the kernel reports a hang-up while its last bytes may still be on their way to our side, and
// libuv then ends the stream after a short read; node-pty also cuts the stream 200 ms after the
// exit. So the program runs under a fixed sh script that, once it has exited, prints a marker and
// waits for one line: the marker comes after every byte the program wrote, and the terminal stays
// open until we have read it. The program and its arguments reach sh as positional parameters.
import { randomBytes } from 'node:crypto';
import { spawn } from '@lydell/node-pty';
import { guardGroup } from './process-group.js';

export interface RunInTerminalOptions {
  cwd?: string;
  /** The whole environment of the child; nothing is inherited implicitly. */
  env: Record<string, string | undefined>;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Terminal width: wide, so tables are not wrapped onto continuation lines. */
  columns?: number;
  /** Each output line (terminal control sequences kept; see plainText), as soon as it is complete. */
  onLine?: (line: string) => void;
}

export interface TerminalResult {
  exitCode: number;
  /** Everything the program wrote to the terminal, lines joined by `\n`. */
  output: string;
  timedOut: boolean;
  cancelled: boolean;
}

const DEFAULT_COLUMNS = 250;

/** $1 the marker, then the program and its arguments; exits with the program's status (128+n after signal n). */
const DRAIN_SCRIPT = 'marker=$1; shift; "$@"; status=$?; printf "%s\\n" "$marker"; read -r _; exit $status';

export function runInTerminal(
  file: string,
  args: readonly string[],
  options: RunInTerminalOptions,
): Promise<TerminalResult> {
  return new Promise((resolve, reject) => {
    const marker = `cc-ci-pty-drained-${randomBytes(12).toString('hex')}`;
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn('/bin/sh', ['-c', DRAIN_SCRIPT, 'cc-ci-pty', marker, file, ...args], {
        name: options.env.TERM ?? 'dumb',
        cols: options.columns ?? DEFAULT_COLUMNS,
        rows: 50,
        cwd: options.cwd ?? process.cwd(),
        env: withoutUndefined(options.env),
      });
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    const lines: string[] = [];
    let partial = '';
    /** The marker was read: everything the program wrote is in `lines`. */
    let drained = false;
    const take = (raw: string) => {
      const line = lastRedraw(raw);
      lines.push(line);
      options.onLine?.(line);
    };
    const takeLines = (flush: boolean) => {
      const parts = partial.split(/\r?\n/);
      partial = flush ? '' : (parts.pop() ?? '');
      for (const raw of parts) {
        if (drained) return;
        const at = raw.indexOf(marker);
        if (at >= 0) {
          // A last line without a newline ends where the marker begins.
          if (at > 0) take(raw.slice(0, at));
          drained = true;
          child.write('\n');
          return;
        }
        if (flush && raw === '' && parts.length === 1) continue;
        take(raw);
      }
    };
    const data = child.onData((chunk) => {
      if (drained) return;
      partial += chunk;
      takeLines(false);
    });
    const guard = guardGroup(child.pid, options);
    child.onExit(({ exitCode, signal }) => {
      data.dispose();
      // Killed before the marker (a timeout, a stop): what was read is all there is.
      if (!drained) takeLines(true);
      guard.release();
      resolve({
        exitCode: signal ? 128 + signal : exitCode,
        output: lines.join('\n'),
        timedOut: guard.timedOut,
        cancelled: guard.cancelled,
      });
    });
  });
}

/** A line a program redrew with carriage returns (a spinner, a progress bar) shows its last state. */
function lastRedraw(line: string): string {
  const parts = line.split('\r').filter((p) => p !== '');
  return parts[parts.length - 1] ?? '';
}

function withoutUndefined(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}
