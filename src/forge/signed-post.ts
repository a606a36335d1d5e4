// The alerts' outgoing webhooks (a chat bridge, the operator's alert URL): one JSON POST, signed
// like the forge's own webhooks: `X-CC-CI-Signature` is the lower-case hex HMAC-SHA256 of the exact
// body bytes under the shared secret (no prefix; absent without a secret). Each try has a time
// limit; a network error, a timeout or a 5xx is tried again after a growing pause. The answer is
// a fact (sent, or why not): the caller logs and counts it, nothing waits on it.
import { createHmac } from 'node:crypto';
import { backoffDelay, sleepFor } from './backoff.js';

export const SIGNATURE_HEADER = 'X-CC-CI-Signature';

export interface SignedPostOptions {
  url: string;
  secret?: string;
  /** Per try, body included (default 10 s). */
  timeoutMs?: number;
  /** Tries in all (default 4). */
  tries?: number;
  /** Test seams. */
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

export type PostOutcome = { sent: true; status: number } | { sent: false; why: string };

export function signatureOf(body: string, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

export async function postSigned(opts: SignedPostOptions, payload: unknown): Promise<PostOutcome> {
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'cc-ci' };
  if (opts.secret) headers[SIGNATURE_HEADER] = signatureOf(body, opts.secret);
  const doFetch = opts.fetch ?? fetch;
  const sleep = opts.sleep ?? sleepFor;
  const tries = opts.tries ?? 4;
  let why = 'not tried';
  for (let attempt = 0; attempt < tries; attempt++) {
    if (attempt > 0) await sleep(backoffDelay(attempt - 1));
    try {
      const res = await doFetch(opts.url, {
        method: 'POST',
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) return { sent: true, status: res.status };
      why = `it answered HTTP ${res.status}`;
      // A 4xx will not change by asking again (a wrong URL or a refused signature).
      if (res.status < 500) break;
    } catch (err) {
      why =
        err instanceof Error && err.name === 'TimeoutError'
          ? `no answer within ${Math.round((opts.timeoutMs ?? 10_000) / 1000)} s`
          : `it could not be reached (${err instanceof Error ? err.message : String(err)})`;
    }
  }
  return { sent: false, why };
}
