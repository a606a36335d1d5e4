// The doctor's checks and their runner: each check is a small named function that says what it
// found and, when something is wrong, what to do. The runner starts every check at once (a
// check that needs another waits for it and is skipped when that one failed), gives each a
// time limit, and returns the results in the order the checks were listed.
import { errorMessage } from '../model/errors.js';

export interface Outcome {
  ok: boolean;
  /** What was found: a version, an address, what is missing. */
  detail: string;
  /** One line per item when there are several (each missing abra flag, each repository). */
  more?: string[];
  /** What to do about a failure or a warning. */
  fix?: string;
  /** Passed, but something will need doing (a certificate close to its end): printed `warn`, exit 0. */
  warn?: boolean;
}

export interface Check {
  name: string;
  /** The name of a check listed earlier that must pass first (docker before the proxy network). */
  needs?: string;
  /** Default: the runner's. */
  timeoutMs?: number;
  run(): Promise<Outcome>;
}

export interface CheckResult extends Outcome {
  name: string;
  /** Not run because the check it needs failed. */
  skipped?: boolean;
}

export const CHECK_TIMEOUT_MS = 15_000;

export async function runChecks(checks: readonly Check[], opts: { timeoutMs?: number } = {}): Promise<CheckResult[]> {
  const started = new Map<string, Promise<CheckResult>>();
  for (const check of checks) {
    const dependency = check.needs === undefined ? undefined : started.get(check.needs);
    if (check.needs !== undefined && dependency === undefined)
      throw new Error(`check "${check.name}" needs "${check.needs}", which is not listed before it`);
    started.set(
      check.name,
      (async () => {
        const before = await dependency;
        if (before && !before.ok)
          return { name: check.name, ok: false, skipped: true, detail: `skipped: needs "${before.name}"` };
        return { name: check.name, ...(await runOne(check, check.timeoutMs ?? opts.timeoutMs ?? CHECK_TIMEOUT_MS)) };
      })(),
    );
  }
  return Promise.all(checks.map((c) => started.get(c.name)!));
}

async function runOne(check: Check, timeoutMs: number): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<Outcome>((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, detail: `no answer within ${Math.round(timeoutMs / 1000)} s` }),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([
      check.run().catch((err: unknown): Outcome => ({ ok: false, detail: errorMessage(err).split('\n')[0] ?? '' })),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The report, one line a check (and its items and fix indented under it), then a summary. */
export function formatResults(results: readonly CheckResult[]): string[] {
  const width = Math.max(...results.map((r) => r.name.length));
  const lines: string[] = [];
  for (const r of results) {
    const mark = r.skipped ? 'skip' : !r.ok ? 'FAIL' : r.warn ? 'warn' : 'ok  ';
    lines.push(`${mark}  ${r.name.padEnd(width)}  ${r.detail}`);
    const indent = ' '.repeat(6 + width + 2);
    for (const item of r.more ?? []) lines.push(`${indent}- ${item}`);
    if ((!r.ok || r.warn) && r.fix) lines.push(`${indent}fix: ${r.fix}`);
  }
  const failed = results.filter((r) => !r.ok && !r.skipped).length;
  const skipped = results.filter((r) => r.skipped).length;
  const warned = results.filter((r) => r.ok && r.warn).length;
  const warnings = warned ? ` (${warned} with a warning)` : '';
  const passed = results.length - failed - skipped;
  lines.push(
    '',
    failed === 0 && skipped === 0
      ? `all ${results.length} checks passed${warnings}`
      : `${passed} passed${warnings}, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`,
  );
  return lines;
}

/** 0 when every check passed (warnings included), 1 otherwise. */
export function doctorExitCode(results: readonly CheckResult[]): 0 | 1 {
  return results.every((r) => r.ok) ? 0 : 1;
}
