// Runs a program under a pseudo-terminal, for the abra calls that refuse to work without one
// (recipe lint, app backup create, app restore: interfaces.md A.8, the first cc-ci's `_run_pty`).
// Same discipline as run-process.ts: an argument array (never a shell), an explicit environment,
// its own process group (forkpty makes the child a session leader, so its pid is the group id),
// TERM then KILL to the whole group on a timeout or a stop, and the output handed over line by
// line. A terminal has one output stream: stdout and stderr arrive merged, as a person sees them.
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

export function runInTerminal(
  file: string,
  args: readonly string[],
  options: RunInTerminalOptions,
): Promise<TerminalResult> {
  return new Promise((resolve, reject) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(file, [...args], {
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
    const takeLines = (flush: boolean) => {
      const parts = partial.split(/\r?\n/);
      partial = flush ? '' : (parts.pop() ?? '');
      for (const raw of parts) {
        if (flush && raw === '' && parts.length === 1) continue;
        const line = lastRedraw(raw);
        lines.push(line);
        options.onLine?.(line);
      }
    };
    const data = child.onData((chunk) => {
      partial += chunk;
      takeLines(false);
    });
    const guard = guardGroup(child.pid, options);
    child.onExit(({ exitCode, signal }) => {
      data.dispose();
      takeLines(true);
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
