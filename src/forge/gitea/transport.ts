// One HTTP exchange with the forge's API, with a per-request timeout and retries.
//
// Plain `fetch` rather than gitea-js's generated `Api` client (whose types we do use): its
// client has no per-request timeout or retry, authenticates with `Bearer` where Gitea's swagger
// documents `token`, follows redirects (which turns Gitea's 303 for org membership into a
// misleading 404 and would carry the token to wherever the Location points), and throws its own
// response shape that we would have to map back. Here every request gets
// `AbortSignal.timeout` (covering the body too), `redirect: 'manual'`, our headers, and one
// mapping of outcomes to error codes (./errors.ts).
import { CcciError } from '../../model/errors.js';
import { backoffDelay, sleepFor } from '../backoff.js';
import { describeOutcome, judgeOutcome, type ForgeOutcome } from '../errors.js';
import type { ForgeClientOptions } from '../types.js';

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_RETRIES = 4;

export interface ForgeAnswer<T> {
  status: number;
  headers: Headers;
  body: T;
}

export interface RequestOptions<W extends Want> {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** Statuses that are answers, not errors (default: any 2xx). */
  expect?: readonly number[];
  /** What a 2xx body must be. */
  want: W;
}

type Want = 'object' | 'array' | 'none';
type BodyOf<W extends Want> = W extends 'array' ? unknown[] : W extends 'object' ? Record<string, unknown> : undefined;

export interface Transport {
  /** The forge URL as configured, without a trailing slash. */
  readonly url: string;
  request<W extends Want>(method: string, path: string, opts: RequestOptions<W>): Promise<ForgeAnswer<BodyOf<W>>>;
  /** Logs a line with the token masked. */
  log(line: string): void;
}

type Attempt = { ok: true; answer: ForgeAnswer<unknown> } | { ok: false; failure: ForgeOutcome };

export function createTransport(opts: ForgeClientOptions): Transport {
  const url = forgeUrl(opts.url);
  const token = opts.token?.trim();
  if (!token) throw new CcciError('CONFIG_INVALID', 'no forge token: set forge.tokenFile (or CCCI_FORGE_TOKEN)');
  if (/[\s\p{Cc}]/u.test(token))
    throw new CcciError(
      'CONFIG_INVALID',
      'the forge token (forge.tokenFile) contains whitespace or control characters',
    );
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const retries = opts.retries ?? DEFAULT_RETRIES;
  if (!(timeoutMs > 0)) throw new CcciError('CONFIG_INVALID', `forge timeout must be positive, not ${timeoutMs}`);
  if (!Number.isInteger(retries) || retries < 0)
    throw new CcciError('CONFIG_INVALID', `forge retries must be a whole number ≥ 0, not ${retries}`);
  const doFetch = opts.fetch ?? fetch;
  const sleep = opts.sleep ?? sleepFor;
  const redact = (text: string) => text.split(token).join('[token]');
  const log = (line: string) => opts.log?.(redact(line));
  const headers: Record<string, string> = {
    // Gitea's swagger documents `token <TOKEN>`; never `?token=` (logged by proxies, and off on newer forges).
    authorization: `token ${token}`,
    accept: 'application/json',
    'user-agent': 'cc-ci',
  };

  const { hostname, protocol } = new URL(url);
  if (protocol === 'http:' && !isLoopback(hostname)) log(`forge: ${url} is plain http: the token travels unencrypted`);

  async function attempt(
    method: string,
    target: string,
    payload: string | undefined,
    expect: readonly number[] | undefined,
    want: Want,
  ): Promise<Attempt> {
    const signal = AbortSignal.timeout(timeoutMs);
    let res: Response;
    let text: string;
    try {
      res = await doFetch(target, {
        method,
        headers: payload === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        body: payload,
        redirect: 'manual',
        signal,
      });
      text = await res.text();
    } catch (error) {
      return {
        ok: false,
        failure: signal.aborted ? { kind: 'timeout', afterMs: timeoutMs } : { kind: 'network', error },
      };
    }
    const wanted = expect ? expect.includes(res.status) : res.status >= 200 && res.status < 300;
    if (!wanted) {
      return {
        ok: false,
        failure: {
          kind: 'status',
          status: res.status,
          message: giteaMessage(text),
          location: res.headers.get('location') ?? undefined,
        },
      };
    }
    if (res.status < 200 || res.status >= 300 || want === 'none')
      return { ok: true, answer: { status: res.status, headers: res.headers, body: undefined } };
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return {
        ok: false,
        failure: {
          kind: 'bad-body',
          status: res.status,
          detail: `${res.headers.get('content-type') ?? 'no content type'}, ${text.length} bytes`,
        },
      };
    }
    const shapeOk =
      want === 'array' ? Array.isArray(body) : typeof body === 'object' && body !== null && !Array.isArray(body);
    if (!shapeOk)
      return { ok: false, failure: { kind: 'bad-body', status: res.status, detail: `expected a JSON ${want}` } };
    return { ok: true, answer: { status: res.status, headers: res.headers, body } };
  }

  return {
    url,
    log,
    async request<W extends Want>(
      method: string,
      path: string,
      ro: RequestOptions<W>,
    ): Promise<ForgeAnswer<BodyOf<W>>> {
      const apiPath = `/api/v1${path}${queryString(ro.query)}`;
      const payload = ro.body === undefined ? undefined : JSON.stringify(ro.body);
      for (let tries = 1; ; tries++) {
        const result = await attempt(method, url + apiPath, payload, ro.expect, ro.want);
        if (result.ok) return result.answer as ForgeAnswer<BodyOf<W>>;
        const verdict = judgeOutcome(result.failure, { method, path: apiPath, forgeUrl: url, tries, redact });
        if (!verdict.retry || tries > retries) throw verdict.error;
        const delay = backoffDelay(tries - 1);
        log(
          `forge: ${method} ${apiPath}: ${describeOutcome(result.failure)}; ` +
            `retry ${tries} of ${retries} in ${delay} ms`,
        );
        await sleep(delay);
      }
    },
  };
}

/** forge.url checked and without a trailing slash (a sub-path like https://host/gitea is kept). */
function forgeUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new CcciError('CONFIG_INVALID', `forge.url is not a URL: ${JSON.stringify(raw)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new CcciError('CONFIG_INVALID', `forge.url must be http or https, not ${u.protocol}`);
  if (u.username || u.password)
    throw new CcciError('CONFIG_INVALID', 'forge.url must not carry credentials: the token comes from forge.tokenFile');
  if (u.search || u.hash)
    throw new CcciError('CONFIG_INVALID', `forge.url must have no query or fragment: ${u.origin}${u.pathname}`);
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
}

function queryString(query: RequestOptions<Want>['query']): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Gitea's error body is `{"message": …, "url": …}`; some answers have no body at all. */
function giteaMessage(text: string): string | undefined {
  try {
    const message = (JSON.parse(text) as { message?: unknown } | null)?.message;
    if (typeof message === 'string' && message.trim()) return message.trim().slice(0, 300);
  } catch {
    // not JSON: no message
  }
  return undefined;
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\./.test(hostname);
}
