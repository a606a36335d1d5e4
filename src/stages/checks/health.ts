// The generic health check (DESIGN §3.4): the app answers on a path through the ingress with a
// status below 500 (or exactly the expected one) before a deadline. Retried, because an app can
// still be starting behind a converged service.
import { errorMessage } from '../../errors.js';
import type { CheckRow } from '../../model/stage.js';
import { htmlTitle, requestViaIngress } from './ingress-request.js';

export interface HealthCheck {
  path: string;
  /** Exact status wanted; without it any status below 500 passes. */
  status?: number;
  timeoutMs: number;
}

export async function checkHealth(ingress: string, domain: string, check: HealthCheck, signal?: AbortSignal): Promise<CheckRow> {
  const started = Date.now();
  const deadline = started + check.timeoutMs;
  const name = `health GET ${check.path}`;
  let last = 'no answer yet';
  for (;;) {
    try {
      const res = await requestViaIngress(ingress, domain, check.path);
      const ok = check.status === undefined ? res.status > 0 && res.status < 500 : res.status === check.status;
      const title = htmlTitle(res.body);
      last = `${res.status}${title ? `, title ${JSON.stringify(title)}` : ''}`;
      if (ok) return { name, status: 'pass', detail: `GET ${check.path} -> ${last}`, durationMs: Date.now() - started };
    } catch (err) {
      last = errorMessage(err);
    }
    if (Date.now() >= deadline || signal?.aborted) break;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  const wanted = check.status === undefined ? 'a status below 500' : `status ${check.status}`;
  return {
    name,
    status: 'fail',
    detail: `GET ${new URL(ingress).protocol}//${domain}${check.path} did not answer ${wanted} within ${Math.round(check.timeoutMs / 1000)} s; last: ${last}`,
    durationMs: Date.now() - started,
  };
}
