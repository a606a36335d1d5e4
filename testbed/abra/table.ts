// Plain-text tables for human output (abra draws boxes; we keep plain columns).
import { out } from './log.js';

/** Left-aligned columns separated by two spaces. */
export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  out([fmt(header), ...rows.map(fmt)].join('\n'));
}
