// An HTTP request to an app through the swarm's ingress: the connection goes to the configured
// ingress address, the Host header (and TLS SNI) name the app, as traefik routes it.
// A request that got no answer reports what happened (no answer in time, the connection refused,
// reset, its TLS failed, or the run stopped); blame.ts judges it.
import http from 'node:http';
import https from 'node:https';
import { CcciError, FactError, type HttpFact } from '../../model/errors.js';

export interface IngressResponse {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
  durationMs: number;
}

const MAX_BODY = 1024 * 1024;
export const HTTP_REQUEST_TIMEOUT_MS = 10_000;

export function requestViaIngress(
  ingress: string,
  domain: string,
  path: string,
  opts: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<IngressResponse> {
  const target = new URL(ingress);
  const secure = target.protocol === 'https:';
  const timeoutMs = opts.timeoutMs ?? HTTP_REQUEST_TIMEOUT_MS;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request(
      {
        host: target.hostname,
        port: target.port || (secure ? 443 : 80),
        method: 'GET',
        path,
        headers: { host: domain, 'user-agent': 'cc-ci', accept: 'text/html,*/*' },
        servername: secure ? domain : undefined,
        timeout: timeoutMs,
        signal: opts.signal,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < MAX_BODY) {
            chunks.push(c);
            size += c.length;
          }
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            headers: res.headers,
            durationMs: Date.now() - started,
          }),
        );
        res.on('error', (err) => reject(whatHappened(err, ingress, domain, timeoutMs)));
      },
    );
    req.on('timeout', () => req.destroy(noAnswer(domain, timeoutMs)));
    req.on('error', (err) => reject(whatHappened(err, ingress, domain, timeoutMs)));
    req.end();
  });
}

function whatHappened(err: Error, ingress: string, domain: string, timeoutMs: number): Error {
  if (err instanceof FactError || err instanceof CcciError) return err;
  if (err.name === 'AbortError') return new CcciError('CANCELLED', `GET ${domain}: stopped`, { cause: err });
  const code = (err as NodeJS.ErrnoException).code ?? err.message;
  if (code === 'ETIMEDOUT') return noAnswer(domain, timeoutMs);
  const fact: HttpFact = { source: 'http', what: connectionFailure(code), errno: code };
  return new FactError(fact, `could not reach the ingress ${ingress} for ${domain}: ${code}`, { cause: err });
}

function noAnswer(domain: string, timeoutMs: number): FactError {
  const message = `${domain} gave no answer through the ingress within ${timeoutMs / 1000} s`;
  return new FactError({ source: 'http', what: 'no-answer' }, message);
}

/** How the connection to the ingress failed, from the socket's error code. */
function connectionFailure(code: string): 'refused' | 'reset' | 'tls' | 'unreachable' {
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ECONNRESET' || code === 'EPIPE' || /socket hang up/i.test(code)) return 'reset';
  if (/^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|EPROTO)/.test(code)) return 'tls';
  return 'unreachable';
}

/**
 * How a visitor reaches the app: the ingress's scheme and port with the app's domain,
 * e.g. `http://cust-1a2b3c.ci.test:8480`.
 */
export function appBaseUrl(ingress: string, domain: string): string {
  const target = new URL(ingress);
  return `${target.protocol}//${domain}${target.port ? `:${target.port}` : ''}`;
}

export function htmlTitle(body: string): string | undefined {
  const m = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(body);
  return m?.[1]?.replace(/\s+/g, ' ').trim();
}

/** Sleeps, but wakes (without throwing) as soon as the signal aborts. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
