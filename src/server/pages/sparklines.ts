// The overview's sparklines, each kept until its recipe's badge run changes (a recipe's history
// changes only when a badge run ends) and at most an hour (the 90-day window slides by one pixel
// of a 120-pixel sparkline in 18 hours). So a re-render of the overview after a run change reads
// the history of the recipes whose badge moved only. One entry per recipe shown.
import type { Html } from './html.js';

export const SPARKLINE_TTL_MS = 3_600_000;

export class SparklineCache {
  private readonly entries = new Map<string, { badgeRunId: string; html: Html; at: number }>();

  constructor(private readonly ttlMs = SPARKLINE_TTL_MS) {}

  get(recipe: string, badgeRunId: string, now: number, build: () => Html): Html {
    const hit = this.entries.get(recipe);
    if (hit && hit.badgeRunId === badgeRunId && now - hit.at < this.ttlMs) return hit.html;
    const html = build();
    this.entries.set(recipe, { badgeRunId, html, at: now });
    return html;
  }
}
