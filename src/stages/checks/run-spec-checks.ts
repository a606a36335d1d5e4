// The spec's `checks:` list against a live app: http checks through the ingress (status and
// text) and browser checks in Chromium (text on the page, a screenshot each).
import { join } from 'node:path';
import { rowFromError, rowFromFact } from '../../model/blame.js';
import type { CheckRow } from '../../model/stage.js';
import type { SpecCheck } from '../../spec/schema.js';
import type { AppBrowser } from './browser.js';
import { requestViaIngress, type Ingress } from './ingress-request.js';

export async function runSpecChecks(
  checks: SpecCheck[],
  ingress: Ingress,
  domain: string,
  browser: AppBrowser,
  artifactsDir: string,
  label: string,
  signal?: AbortSignal,
): Promise<CheckRow[]> {
  const rows: CheckRow[] = [];
  for (const [i, check] of checks.entries()) {
    if (signal?.aborted) break;
    if ('http' in check) {
      rows.push(await httpCheck(ingress, domain, check.http, signal));
    } else {
      const file = join(artifactsDir, `${label}-check-${i + 1}.png`);
      rows.push(await browser.check({ path: check.browser.path, see: check.browser.see, screenshotFile: file }));
    }
  }
  return rows;
}

async function httpCheck(
  ingress: Ingress,
  domain: string,
  check: { path: string; status?: number; contains?: string },
  signal?: AbortSignal,
): Promise<CheckRow> {
  const name = `http GET ${check.path}`;
  const started = Date.now();
  try {
    const res = await requestViaIngress(ingress, domain, check.path, { signal });
    const statusOk = check.status === undefined ? res.status < 500 : res.status === check.status;
    const textOk = check.contains === undefined || res.body.includes(check.contains);
    const problems = [
      statusOk ? '' : `status ${res.status}, expected ${check.status ?? 'below 500'}`,
      textOk ? '' : `the body does not contain ${JSON.stringify(check.contains)}`,
    ].filter(Boolean);
    if (problems.length) {
      const fact = { source: 'http', what: statusOk ? 'body-mismatch' : 'status-mismatch' } as const;
      return rowFromFact(name, fact, { detail: problems.join('; '), durationMs: res.durationMs });
    }
    return {
      name,
      status: 'pass',
      detail: `${res.status}${check.contains ? `, contains ${JSON.stringify(check.contains)}` : ''}`,
      durationMs: res.durationMs,
    };
  } catch (err) {
    return rowFromError(name, err, signal, started);
  }
}
