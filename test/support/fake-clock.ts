// A clock a test moves by hand: `now` starts where it is told, timers fire when advance() passes
// their time (in order), sleep() resolves the same way.
import type { Clock, Timer } from '../../src/model/clock.js';

export class FakeClock implements Clock {
  private ms: number;
  private timers: Array<{ at: number; fn: () => void; seq: number }> = [];
  private seq = 0;

  constructor(start = '2026-01-01T00:00:00Z') {
    this.ms = Date.parse(start);
  }

  now(): Date {
    return new Date(this.ms);
  }

  after(ms: number, fn: () => void): Timer {
    const timer = { at: this.ms + ms, fn, seq: this.seq++ };
    this.timers.push(timer);
    return {
      cancel: () => {
        this.timers = this.timers.filter((t) => t !== timer);
      },
    };
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.after(ms, resolve));
  }

  /** Moves time on by `ms`, firing every timer due on the way. */
  advance(ms: number): void {
    const until = this.ms + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.ms = due.at;
      due.fn();
    }
    this.ms = until;
  }

  /** Timers waiting to fire. */
  get pending(): number {
    return this.timers.length;
  }
}
