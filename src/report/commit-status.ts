// The commit status a run sets on the commit it tests (context `cc-ci`, linking the run page):
// one shape for PR runs (the forge bridge) and default-branch runs (src/schedule/branch-statuses.ts).
import type { RunRecord } from '../model/run.js';
import { statusFor } from './pr-comment.js';

export const STATUS_CONTEXT = 'cc-ci';

export interface RunStatus {
  state: ReturnType<typeof statusFor>['state'];
  description: string;
  context: string;
  targetUrl: string;
}

/** The run's status now; `publicUrl` is dashboard.publicUrl without a trailing slash. */
export function runStatus(run: RunRecord, publicUrl: string): RunStatus {
  return { ...statusFor(run), context: STATUS_CONTEXT, targetUrl: `${publicUrl}/runs/${run.id}` };
}
