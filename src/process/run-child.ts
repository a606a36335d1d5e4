// Starts a `cc-ci run` child the way the server needs it: in its own process group (so a stop
// reaches Chromium, abra and git under it), detached from the server (so a server crash leaves
// it running, to be stopped and torn down by the next server), with its output in a file.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { signalGroup } from './process-group.js';

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunChild {
  readonly pid: number;
  readonly exited: Promise<ChildExit>;
  /** Sends a signal to the child's whole process group. */
  signal(sig: NodeJS.Signals): void;
}

export function spawnRunChild(
  file: string,
  args: readonly string[],
  opts: {
    env: NodeJS.ProcessEnv;
    outputFile: string;
    cwd?: string;
    /**
     * The child's stdin is a pipe whose write end only this process holds: it closes when this
     * process dies, however it dies (`cc-ci run --lifeline` stops then). Never written to.
     */
    lifeline?: boolean;
  },
): RunChild {
  const out = openSync(opts.outputFile, 'a');
  try {
    const child = spawn(file, args, {
      cwd: opts.cwd,
      env: opts.env,
      detached: true,
      stdio: [opts.lifeline ? 'pipe' : 'ignore', out, out],
      shell: false,
    });
    // A child that has exited closes its end: nothing is written, so no EPIPE, but never crash on one.
    child.stdin?.on('error', () => undefined);
    const exited = new Promise<ChildExit>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', () => resolve({ code: null, signal: null }));
    });
    const pid = child.pid;
    if (pid === undefined) throw new Error(`could not start ${file}`);
    return { pid, exited, signal: (sig) => signalGroup(pid, sig) };
  } finally {
    closeSync(out);
  }
}

/** Whether a process runs; a zombie (ended, not yet reaped by a parent that may not be ours) does not. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S …"; the state follows the last ")".
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}
