// An HTTP request to an app through the swarm's ingress: the connection goes to the configured
// ingress address, the Host header (and TLS SNI) name the app, as traefik routes it. Over HTTPS the
// certificate is always checked: against the CAs Node trusts, and `swarm.ingressCa` when set.
// A request that got no answer reports what happened (no answer in time, the connection refused,
// reset, its TLS failed, or the run stopped); blame.ts judges it.
import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import { CcciError, FactError, type HttpFact } from '../../model/errors.js';

/** Where checks reach apps: `swarm.ingress`, and the CA to trust for it besides the usual ones. */
export interface Ingress {
  url: string;
  /** PEM of `swarm.ingressCa`, when configured. */
  ca?: string;
}

/** The ingress of a loaded config's `swarm` section. */
export function ingressOf(swarm: { ingress: string; ingressCaPem?: string }): Ingress {
  return swarm.ingressCaPem !== undefined ? { url: swarm.ingress, ca: swarm.ingressCaPem } : { url: swarm.ingress };
}

/** The CAs a TLS connection to the ingress trusts: Node's own, plus swarm.ingressCa. */
export function ingressCas(ingress: Ingress): string[] | undefined {
  return ingress.ca === undefined ? undefined : [...rootCertificates, ingress.ca];
}

export interface IngressResponse {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
  durationMs: number;
}

const MAX_BODY = 1024 * 1024;
export const HTTP_REQUEST_TIMEOUT_MS = 10_000;

export function requestViaIngress(
  ingress: Ingress,
  domain: string,
  path: string,
  opts: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<IngressResponse> {
  const target = new URL(ingress.url);
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
        ...(secure ? { ca: ingressCas(ingress), rejectUnauthorized: true } : {}),
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
        res.on('error', (err) => reject(whatHappened(err, ingress.url, domain, timeoutMs)));
      },
    );
    req.on('timeout', () => req.destroy(noAnswer(domain, timeoutMs)));
    req.on('error', (err) => reject(whatHappened(err, ingress.url, domain, timeoutMs)));
    req.end();
  });
}

function whatHappened(err: Error, ingress: string, domain: string, timeoutMs: number): Error {
  if (err instanceof FactError || err instanceof CcciError) return err;
  if (err.name === 'AbortError') return new CcciError('CANCELLED', `GET ${domain}: stopped`, { cause: err });
  const code = (err as NodeJS.ErrnoException).code ?? err.message;
  if (code === 'ETIMEDOUT') return noAnswer(domain, timeoutMs);
  const fact: HttpFact = { source: 'http', what: connectionFailure(code), errno: code };
  const fix =
    fact.what === 'tls'
      ? ` (${err.message}): the ingress's certificate for ${domain} was not accepted; give it a certificate ` +
        'that covers the domain, or set swarm.ingressCa to the CA that signed it'
      : '';
  return new FactError(fact, `could not reach the ingress ${ingress} for ${domain}: ${code}${fix}`, { cause: err });
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
export function appBaseUrl(ingress: Ingress, domain: string): string {
  const target = new URL(ingress.url);
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
