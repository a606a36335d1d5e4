// `cc-ci host reconcile`: the steps in order, one line each, and a count. A step whose
// prerequisite did not end ok or changed is not looked at (it could only fail for the same reason).
import { errorMessage } from '../model/errors.js';
import type { HostDesired } from './desired.js';
import { countLine, formatLine, reconcileExitCode, type StepResult } from './outcome.js';
import { hostSteps, type HostPorts, type Step } from './steps.js';

export interface ReconcileReport {
  results: StepResult[];
  exitCode: number;
}

export async function reconcileHost(
  d: HostDesired,
  ports: HostPorts,
  say: (line: string) => void,
  steps: Step[] = hostSteps(d),
): Promise<ReconcileReport> {
  const results: StepResult[] = [];
  const names = new Set(steps.map((s) => s.name));
  for (const step of steps) {
    const blocked = step.needs
      .filter((n) => names.has(n))
      .map((n) => results.find((r) => r.step === n))
      .find((r) => r && r.status !== 'ok' && r.status !== 'changed');
    let result: StepResult;
    const why = blocked?.status === 'drift' ? 'drifts' : 'failed';
    if (blocked)
      result = {
        step: step.name,
        status: blocked.status,
        detail: `not looked at: it needs the ${blocked.step} step, which ${why}`,
        ...(blocked.status === 'failed' ? { fix: `fix the ${blocked.step} step first` } : {}),
      };
    else {
      try {
        result = await step.run(d, ports);
      } catch (err) {
        // An observation that broke (the Engine went away mid-run, a file unreadable): the step failed.
        result = {
          step: step.name,
          status: 'failed',
          detail: errorMessage(err),
          fix: 'see the message; run cc-ci host reconcile --check to see the rest',
        };
      }
    }
    results.push(result);
    say(formatLine(result));
  }
  say(countLine(results, d.check));
  return { results, exitCode: reconcileExitCode(results) };
}
