// A RunLease that keeps its claims in memory and records what the run did with them.
import type { RunLease } from '../../src/apps/lease.js';

export class FakeLease implements RunLease {
  readonly claimed: string[] = [];
  kept?: { until: string; apps: string[] };
  released = false;

  claim(domain: string): void {
    this.claimed.push(domain);
  }

  keep(until: string, apps: string[]): void {
    this.kept = { until, apps };
  }

  release(): void {
    this.released = true;
  }

  get apps(): readonly string[] {
    return this.claimed;
  }
}
