// Stopping what cc-ci started: every program runs in its own process group, so a signal to the
// group reaches everything under it (Chromium, abra's docker calls, git).

const KILL_GRACE_MS = 5_000;

/** A signal to a process group; a group that is gone already is fine. */
export function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    /* gone */
  }
}

/** TERM to the whole process group, KILL after a grace period. */
export function killGroup(pid: number | undefined): void {
  if (!pid) return;
  signalGroup(pid, 'SIGTERM');
  setTimeout(() => signalGroup(pid, 'SIGKILL'), KILL_GRACE_MS).unref();
}

export interface GroupGuard {
  readonly timedOut: boolean;
  readonly cancelled: boolean;
  /** Once the program has ended: no timer, no listener left. */
  release(): void;
}

/** Kills the group when its time is up or when `signal` aborts, and remembers which it was. */
export function guardGroup(pid: number | undefined, opts: { timeoutMs?: number; signal?: AbortSignal }): GroupGuard {
  const state = { timedOut: false, cancelled: false };
  const timer = opts.timeoutMs
    ? setTimeout(() => {
        state.timedOut = true;
        killGroup(pid);
      }, opts.timeoutMs)
    : undefined;
  const onAbort = () => {
    state.cancelled = true;
    killGroup(pid);
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) onAbort();
  return {
    get timedOut() {
      return state.timedOut;
    },
    get cancelled() {
      return state.cancelled;
    },
    release() {
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    },
  };
}
