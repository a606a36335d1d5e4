// A RunLease that keeps its claims in memory and records what the run did with them.
import type { RunLease } from '../../src/apps/lease.js';

export class FakeLease implements RunLease {
  readonly claimed: string[] = [];
  kept?: { until: string; apps: string[] };
  released = false;
  /** What the run recorded as left behind when it kept or released the lease. */
  leftBehind: string[] = [];

  claim(domain: string): void {
    this.claimed.push(domain);
  }

  keep(until: string, apps: string[], leftBehind: string[] = []): void {
    this.kept = { until, apps };
    this.leftBehind = leftBehind;
  }

  release(leftBehind: string[] = []): void {
    this.released = true;
    this.leftBehind = leftBehind;
  }

  get apps(): readonly string[] {
    return this.claimed;
  }
}
