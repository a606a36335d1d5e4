// Forge work that failed and that no later change will bring along (a finished run's final commit
// status or reply, a level alert) is tried again on its own, after a pause that doubles each time
// (by default 30 s, 1, 2, 4 and 8 min). After the last try it is left to serve's next start, which
// resumes whatever the store says is unfinished.
import type { Clock, Timer } from '../model/clock.js';

export interface RetryLaterOptions {
  clock: Clock;
  /** The first pause (default 30 s); each next one is twice as long. */
  firstMs?: number;
  /** How many more tries before giving up until the next start (default 5). */
  tries?: number;
}

export class RetryLater {
  private readonly pending = new Map<string, { tries: number; timer: Timer }>();
  private readonly firstMs: number;
  private readonly max: number;

  constructor(private readonly opts: RetryLaterOptions) {
    this.firstMs = opts.firstMs ?? 30_000;
    this.max = opts.tries ?? 5;
  }

  /** Calls `again` after the next pause for `key`; says when, for the log line. */
  schedule(key: string, again: () => void): string {
    const earlier = this.pending.get(key);
    earlier?.timer.cancel();
    const tries = (earlier?.tries ?? 0) + 1;
    if (tries > this.max) {
      this.pending.delete(key);
      return `gave up after ${this.max} more tries; it is tried again when serve next starts`;
    }
    const delay = this.firstMs * 2 ** (tries - 1);
    const timer = this.opts.clock.after(delay, again);
    this.pending.set(key, { tries, timer });
    return `it is tried again in ${Math.round(delay / 1000)} s (try ${tries} of ${this.max})`;
  }

  /** The work of `key` went through: its count starts again. */
  done(key: string): void {
    this.pending.get(key)?.timer.cancel();
    this.pending.delete(key);
  }

  close(): void {
    for (const { timer } of this.pending.values()) timer.cancel();
    this.pending.clear();
  }
}
