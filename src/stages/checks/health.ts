// The generic health check (DESIGN §3.4): the app answers on a path through the ingress with a
// status below 500 (or exactly the expected one) before a deadline. Retried, because an app can
// still be starting behind a converged service. A health check that never got the wanted status
// reports it with its last attempt's error as the cause: blame.ts lets that attempt decide (a
// wrong status or no answer in time is the recipe's; an ingress that cannot be reached is not).
// A redirect to https:// ends the check at once: it never counts as an answer below 500, so a
// check over plain HTTP (which a real traefik redirects) cannot pass by accident.
import { errorMessage, FactError } from '../../model/errors.js';
import { rowFromError } from '../../model/blame.js';
import type { CheckRow } from '../../model/stage.js';
import { htmlTitle, pause, requestViaIngress, type Ingress, type IngressResponse } from './ingress-request.js';

export interface HealthCheck {
  path: string;
  /** Exact status wanted; without it any status below 500 passes. */
  status?: number;
  timeoutMs: number;
}

export async function checkHealth(
  ingress: Ingress,
  domain: string,
  check: HealthCheck,
  signal?: AbortSignal,
): Promise<CheckRow> {
  const started = Date.now();
  const deadline = started + check.timeoutMs;
  const name = `health GET ${check.path}`;
  let last = 'no answer yet';
  let lastError: unknown;
  for (;;) {
    try {
      const res = await requestViaIngress(ingress, domain, check.path, { signal });
      const redirected = httpsRedirect(ingress, domain, check.path, res);
      if (redirected) return { ...rowFromError(name, redirected, signal, started), detail: redirected.message };
      const ok = check.status === undefined ? res.status > 0 && res.status < 500 : res.status === check.status;
      const title = htmlTitle(res.body);
      last = `${res.status}${title ? `, title ${JSON.stringify(title)}` : ''}`;
      lastError = undefined;
      if (ok) return { name, status: 'pass', detail: `GET ${check.path} -> ${last}`, durationMs: Date.now() - started };
    } catch (err) {
      last = errorMessage(err);
      lastError = err;
    }
    if (Date.now() >= deadline || signal?.aborted) break;
    await pause(1_000, signal);
  }
  const wanted = check.status === undefined ? 'a status below 500' : `status ${check.status}`;
  const what =
    `GET ${new URL(ingress.url).protocol}//${domain}${check.path} did not answer ${wanted} ` +
    `within ${Math.round(check.timeoutMs / 1000)} s; last: ${last}`;
  const unhealthy = new FactError({ source: 'http', what: 'unhealthy' }, what, { cause: lastError });
  return { ...rowFromError(name, unhealthy, signal, started), detail: what };
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** A redirect to an https:// Location, as a fact that says which ingress it came through; else undefined. */
function httpsRedirect(ingress: Ingress, domain: string, path: string, res: IngressResponse): FactError | undefined {
  const location = res.headers.location;
  if (!REDIRECTS.has(res.status) || typeof location !== 'string' || !/^https:\/\//i.test(location)) return undefined;
  const scheme = new URL(ingress.url).protocol === 'https:' ? 'https' : 'http';
  const said =
    `GET ${scheme}://${domain}${path} answered ${res.status} redirecting to ${location}: ` +
    'the app redirected to HTTPS';
  const message =
    scheme === 'https'
      ? `${said} although it was reached over HTTPS; a health check follows no redirect, so set the spec's ` +
        'health path to a page that answers itself'
      : `${said}, as a real traefik does with every plain-HTTP request; swarm.ingress is ${ingress.url}: set it ` +
        "to the ingress's https:// address (and swarm.ingressCa when its certificate is from your own CA)";
  return new FactError({ source: 'http', what: 'redirected-to-https', ingressScheme: scheme }, message);
}
