// Rendered pages kept for a moment: the overview and recipe pages are read far more often than
// runs change. An entry goes when a run of its recipe changes, and after `ttlMs` in any case
// (pages show ages like "3 min ago"). Each entry is compressed once, for the clients (every
// browser) that accept gzip: the overview of 200 recipes is 160 KiB of HTML, 15 KiB gzipped.
import { gzipSync } from 'node:zlib';

export interface CachedPage {
  body: string;
  gzip(): Buffer;
}

export class PageCache {
  private readonly entries = new Map<string, { page: CachedPage; at: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly max = 1_000,
  ) {}

  get(key: string, now: number, render: () => string): CachedPage {
    return this.peek(key, now) ?? this.put(key, now, render());
  }

  async getAsync(key: string, now: number, render: () => Promise<string>): Promise<CachedPage> {
    return this.peek(key, now) ?? this.put(key, now, await render());
  }

  private peek(key: string, now: number): CachedPage | undefined {
    const hit = this.entries.get(key);
    return hit && now - hit.at < this.ttlMs ? hit.page : undefined;
  }

  private put(key: string, now: number, body: string): CachedPage {
    let zipped: Buffer | undefined;
    const page: CachedPage = { body, gzip: () => (zipped ??= gzipSync(body, { level: 6 })) };
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, { page, at: now });
    return page;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}
