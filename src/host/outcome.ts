// What one step of `cc-ci host reconcile` found or did, as one line, and the run's count and exit code.
export type StepStatus = 'ok' | 'changed' | 'drift' | 'failed';

export interface StepResult {
  step: string;
  status: StepStatus;
  /** What was found (ok, drift) or done (changed), or what went wrong (failed). */
  detail: string;
  /** For failed: what to do about it. */
  fix?: string;
}

/**
 * A step's pure judgement of what it observed: nothing to do, things to do (each said in words,
 * and done by the step), or a state it refuses to touch, with the fix.
 */
export type Decision<A> =
  | { kind: 'ok'; detail: string }
  | { kind: 'act'; detail: string; actions: A[] }
  | { kind: 'refuse'; detail: string; fix: string };

export function formatLine(r: StepResult): string {
  const fix = r.status === 'failed' && r.fix ? `; to fix: ${r.fix}` : '';
  return oneLine(`${r.status.padEnd(7)} ${r.step}: ${r.detail}${fix}`);
}

/** One line a step, whatever a program said: its lines joined. */
function oneLine(text: string): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' | ');
}

export function countLine(results: readonly StepResult[], check: boolean): string {
  const n = (s: StepStatus) => results.filter((r) => r.status === s).length;
  const parts = [`${n('ok')} ok`, check ? `${n('drift')} drift` : `${n('changed')} changed`, `${n('failed')} failed`];
  return `host ${check ? 'check' : 'reconcile'}: ${results.length} steps, ${parts.join(', ')}`;
}

/** 0 when done (or nothing drifted), 1 when something drifted or failed. */
export function reconcileExitCode(results: readonly StepResult[]): number {
  return results.some((r) => r.status === 'failed' || r.status === 'drift') ? 1 : 0;
}
