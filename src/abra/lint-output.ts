// What `abra recipe lint` printed, as rule rows. abra prints a table for a person (most likely
// with no machine mode, interfaces.md A.8.5 [U]): columns ref, rule, severity, satisfied (✅/❌),
// skipped and how to resolve, drawn with box characters and coloured under a terminal. A JSON
// list is read instead when the installed abra has --machine. Column names and cell words vary
// between versions, so each is matched loosely.
import { findTable, jsonList, plainText } from './terminal-table.js';

export interface LintRule {
  /** R001 … R016 */
  ref: string;
  /** The rule's text, e.g. "compose config has expected version". */
  rule: string;
  /** `error` or `warn` (abra's words; `warning` is read as `warn`). */
  severity: string;
  satisfied: boolean;
  /** abra did not check the rule (not applicable here, or needs the network under --offline). */
  skipped: boolean;
  /** abra's hint on how to satisfy it, when it prints one. */
  resolve?: string;
}

const COLUMN_NAMES: Record<keyof LintRule, string[]> = {
  ref: ['ref', 'id'],
  rule: ['rule', 'description', 'desc'],
  severity: ['severity', 'level'],
  satisfied: ['satisfied', 'ok'],
  skipped: ['skipped', 'skip'],
  resolve: ['resolve', 'how to resolve', 'how-to-resolve', 'how to fix', 'how-to-fix', 'fix', 'howtoresolve'],
};

export function parseLintOutput(output: string, machine: boolean): LintRule[] {
  const text = plainText(output);
  const records =
    (machine ? jsonList(text)?.map(stringValues) : undefined) ?? findTable(text, ['ref', 'satisfied'])?.rows ?? [];
  return records.map(toRule).filter((r): r is LintRule => r !== undefined);
}

function toRule(record: Record<string, string>): LintRule | undefined {
  const cell = (key: keyof LintRule) => {
    const name = COLUMN_NAMES[key].find((n) => record[n] !== undefined);
    return name === undefined ? '' : (record[name] ?? '').trim();
  };
  const ref = cell('ref');
  if (!/^[A-Z]+\d+$/i.test(ref)) return undefined;
  const severity = cell('severity').toLowerCase();
  const resolve = cell('resolve');
  return {
    ref: ref.toUpperCase(),
    rule: cell('rule'),
    severity: severity.startsWith('warn') ? 'warn' : severity,
    satisfied: yes(cell('satisfied')),
    skipped: yes(cell('skipped')),
    ...(resolve && resolve !== '-' ? { resolve } : {}),
  };
}

/** ✅ / yes / true / ok mean yes; ❌, no, false, -, empty mean no. */
export function yes(cell: string): boolean {
  const c = cell.trim().toLowerCase();
  return /^(✅|✔|✓|☑|yes|y|true|ok)/u.test(c);
}

function stringValues(item: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(item).map(([k, v]) => [k.toLowerCase(), typeof v === 'string' ? v : JSON.stringify(v)]),
  );
}
