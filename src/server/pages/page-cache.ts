// Rendered pages kept for a moment: the overview and recipe pages are read far more often than
// runs change. An entry goes when a run of its recipe changes, and after `ttlMs` in any case
// (pages show ages like "3 min ago").
export class PageCache {
  private readonly entries = new Map<string, { body: string; at: number }>();

  constructor(private readonly ttlMs: number, private readonly max = 1_000) {}

  get(key: string, now: number, render: () => string): string {
    const hit = this.entries.get(key);
    if (hit && now - hit.at < this.ttlMs) return hit.body;
    const body = render();
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, { body, at: now });
    return body;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}
