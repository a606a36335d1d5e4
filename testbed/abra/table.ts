// Tables for human output. The real abra draws them with charmbracelet/lipgloss (box
// characters); which border set it uses is a guess (thick: ┏━┳━┓ ┃ ┣━╋━┫ ┗━┻━┛).
// printTable keeps plain columns for the tables nothing parses (ls, ps, snapshots).
import { out } from './log.js';

/** Left-aligned columns separated by two spaces. */
export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]): string =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  out([fmt(header), ...rows.map(fmt)].join('\n'));
}

/** Columns a terminal gives a string: emoji such as ✅ and ❌ take two. */
function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += /\p{Extended_Pictographic}/u.test(ch) ? 2 : 1;
  return w;
}

const pad = (s: string, width: number): string => s + ' '.repeat(Math.max(0, width - displayWidth(s)));

/** A lipgloss-style box table with a thick border and a rule under the header. */
export function printBoxTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i] ?? ''))));
  const line = (l: string, m: string, r: string): string => l + widths.map((w) => '━'.repeat(w + 2)).join(m) + r;
  const row = (cells: string[]): string => `┃${widths.map((w, i) => ` ${pad(cells[i] ?? '', w)} `).join('┃')}┃`;
  const top = line('┏', '┳', '┓');
  const rule = line('┣', '╋', '┫');
  const bottom = line('┗', '┻', '┛');
  out([top, row(header), rule, ...rows.map(row), bottom].join('\n'));
}
