// What a reloaded cc-ci.yml changed, as the dotted names of the settings that differ (never their
// values: a secret's name may be listed, its value never). serve takes forge.repos live and names
// the rest as needing a restart.
import type { Config } from './load-config.js';

/** The settings serve applies without a restart. */
export const LIVE_KEYS = ['forge.repos', 'forge.repoOrgs'] as const;

/** The dotted names of the settings whose values differ, sorted (`path`, where the file is, left out). */
export function changedKeys(before: Config, after: Config): string[] {
  const changed = new Set<string>();
  diff(before, after, '', changed);
  changed.delete('path');
  return [...changed].sort();
}

/** The changed settings that need a restart to take effect. */
export function restartKeys(changed: readonly string[]): string[] {
  return changed.filter((k) => !(LIVE_KEYS as readonly string[]).includes(k));
}

function diff(a: unknown, b: unknown, at: string, out: Set<string>): void {
  if (isRecord(a) && isRecord(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      diff(a[key], b[key], at ? `${at}.${key}` : key, out);
    }
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.add(at || '(top level)');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
