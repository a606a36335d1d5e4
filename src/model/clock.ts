// The time, as a port: the scheduler, the poller, the janitor, the leases and recovery read the
// time and set their timers through a Clock, so a test can hand in a fake one.

/** A pending call of Clock.after. */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  now(): Date;
  /**
   * Calls `fn` once after `ms`. The timer never keeps the process alive on its own (a backstop
   * or a poll must not hold up an exit).
   */
  after(ms: number, fn: () => void): Timer;
  /** Resolves after `ms`; unlike `after`, the wait keeps the process alive, as an awaited wait should. */
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  after(ms, fn) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
