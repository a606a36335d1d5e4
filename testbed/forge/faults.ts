// Fault injection for the API (not part of Gitea): for `forMs` milliseconds every /api/v1 call
// answers 500 (Gitea's production APIError body, message blanked) or hangs without answering
// until the window ends (then it is served as usual, if the client is still there). Git over
// HTTP and the control surface are not affected.

export type FaultMode = '500' | 'hang';

export interface Fault {
  mode: FaultMode;
  forMs: number;
}

export class Faults {
  private current: { mode: FaultMode; until: number } | undefined;
  private waiters = new Set<() => void>();

  set(fault: Fault): void {
    if (fault.mode !== '500' && fault.mode !== 'hang')
      throw new Error(`unknown fault mode ${JSON.stringify(fault.mode)}`);
    if (!Number.isFinite(fault.forMs) || fault.forMs <= 0)
      throw new Error(`forMs must be a positive number, not ${fault.forMs}`);
    this.current = { mode: fault.mode, until: Date.now() + fault.forMs };
    this.schedule(fault.forMs);
  }

  /** Release the waiters when the window is over (a timer may fire a little early: re-arm). */
  private schedule(ms: number): void {
    const timer = setTimeout(() => {
      const left = this.active()?.remainingMs;
      if (left !== undefined) this.schedule(left);
      else this.release();
    }, ms);
    timer.unref();
  }

  clear(): void {
    this.current = undefined;
    this.release();
  }

  /** The fault in force now, if any. */
  active(): { mode: FaultMode; remainingMs: number } | undefined {
    if (!this.current) return undefined;
    const remainingMs = this.current.until - Date.now();
    if (remainingMs <= 0) {
      this.current = undefined;
      return undefined;
    }
    return { mode: this.current.mode, remainingMs };
  }

  /** Resolves when the fault window ends (or it is cleared). */
  waitUntilOver(): Promise<void> {
    if (!this.active()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.add(resolve));
  }

  private release(): void {
    if (this.active()) return;
    const waiting = [...this.waiters];
    this.waiters.clear();
    for (const w of waiting) w();
  }
}
