// Turns what a recipe's tests printed into check rows: JUnit XML when a file was written, else
// TAP from stdout (top-level `ok` / `not ok` lines). A failed test case is a fact blame.ts judges.
import { rowFromFact } from '../../model/blame.js';
import type { CheckRow } from '../../model/stage.js';

const caseFailed = { source: 'recipe-tests', what: 'case-failed' } as const;

export async function rowsFromJunit(xml: string | undefined, prefix: string): Promise<CheckRow[] | undefined> {
  if (!xml?.includes('<testcase')) return undefined;
  // Loaded on first use: most runs have no JUnit to read, and every run pays for start-up.
  const { XMLParser } = await import('fast-xml-parser');
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml) as unknown;
  const rows: CheckRow[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (!node || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'testcase') {
        for (const tc of [value].flat() as Array<Record<string, unknown>>) rows.push(rowOf(tc, prefix));
      } else if (typeof value === 'object') {
        visit(value);
      }
    }
  };
  visit(doc);
  return rows;
}

function rowOf(tc: Record<string, unknown>, prefix: string): CheckRow {
  const failure = (tc.failure ?? tc.error) as Record<string, unknown> | string | undefined;
  const message = typeof failure === 'string' ? failure : String(failure?.message ?? failure?.['#text'] ?? '');
  const name = `${prefix}${String(tc.name ?? '(unnamed)')}`;
  const durationMs = Math.round(Number(tc.time ?? 0) * 1000);
  const row = { detail: message ? message.split('\n')[0] : undefined, durationMs };
  if (failure !== undefined) return rowFromFact(name, caseFailed, row);
  return { name, status: tc.skipped !== undefined ? 'skip' : 'pass', ...row };
}

export function rowsFromTap(stdout: string, prefix: string): CheckRow[] {
  const rows: CheckRow[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^(not ok|ok)\s+\d+\s*(?:-\s*)?(.*?)(\s+#\s*(SKIP|TODO)\b.*)?$/i.exec(line);
    if (!m) continue;
    const skipped = m[4] !== undefined;
    const name = `${prefix}${m[2] || '(unnamed)'}`;
    rows.push(skipped || m[1] === 'ok' ? { name, status: skipped ? 'skip' : 'pass' } : rowFromFact(name, caseFailed));
  }
  return rows;
}
