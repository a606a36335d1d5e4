// A short back-off per client address after repeated wrong admin tokens (API and page forms):
// the first few mistakes are free, then the address must wait, 1 s doubling up to 30 s, before a
// token of its is even compared. A right token clears the address's record. The records are
// bounded, so many addresses cannot grow them without limit.

export interface BackoffPolicy {
  /** Wrong tokens an address may send before it must wait. */
  free: number;
  /** A record with no wrong token for this long starts over. */
  forgetAfterMs: number;
  firstWaitMs: number;
  maxWaitMs: number;
  /** Addresses remembered at most (the oldest are dropped). */
  maxClients: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = {
  free: 5,
  forgetAfterMs: 10 * 60_000,
  firstWaitMs: 1000,
  maxWaitMs: 30_000,
  maxClients: 10_000,
};

interface Failures {
  count: number;
  lastAt: number;
  until: number;
}

export class AuthBackoff {
  private readonly clients = new Map<string, Failures>();

  constructor(
    private readonly policy: BackoffPolicy = DEFAULT_BACKOFF,
    private readonly now: () => number = Date.now,
  ) {}

  /** How long `address` must still wait before its token is checked (0: go ahead). */
  waitMs(address: string): number {
    const entry = this.current(address);
    return entry ? Math.max(0, entry.until - this.now()) : 0;
  }

  /** A wrong (or missing) token from `address`. */
  failed(address: string): void {
    const now = this.now();
    const entry = this.current(address) ?? { count: 0, lastAt: now, until: 0 };
    entry.count += 1;
    entry.lastAt = now;
    const over = entry.count - this.policy.free;
    if (over >= 0)
      entry.until = now + Math.min(this.policy.maxWaitMs, this.policy.firstWaitMs * 2 ** Math.min(over, 30));
    // Re-inserted, so the Map's order is the order of last failure and the first key the stalest.
    this.clients.delete(address);
    this.clients.set(address, entry);
    while (this.clients.size > this.policy.maxClients) {
      const stalest = this.clients.keys().next().value;
      if (stalest === undefined) break;
      this.clients.delete(stalest);
    }
  }

  succeeded(address: string): void {
    this.clients.delete(address);
  }

  private current(address: string): Failures | undefined {
    const entry = this.clients.get(address);
    if (entry && this.now() - entry.lastAt > this.policy.forgetAfterMs && entry.until <= this.now()) {
      this.clients.delete(address);
      return undefined;
    }
    return entry;
  }
}
