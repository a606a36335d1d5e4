// One ingest request to serve: a signed chunk POSTed at an offset, and serve's answer as the
// shipper needs it (the offset serve holds, or why it took nothing). Through node:http(s), so a
// runner host needs nothing but cc-ci; serve's address is an http or https URL.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { stopCodes } from '../model/errors.js';
import type { StopReason } from '../model/run-folder.js';
import { ingestAuthorization, ingestPath, type IngestStream } from './ingest-credential.js';

export interface IngestTarget {
  /** serve's base URL (CCCI_SERVE_URL), e.g. https://ci.example.org. */
  serveUrl: string;
  runId: string;
  /** The run's ingest key. */
  key: Buffer;
  /** Names the runner host and the build in serve's access log (DRONE_RUNNER_NAME, DRONE_BUILD_NUMBER). */
  userAgent?: string;
}

export type IngestAnswer =
  /**
   * serve holds `offset` bytes of the stream now (after taking the chunk, or it held them already);
   * `stop`: serve asks for the run to be stopped, and why.
   */
  | { kind: 'held'; offset: number; stop?: StopReason }
  /** Worth trying again later: serve down, slow, restarting, 5xx, 429, or a credential it refused. */
  | { kind: 'retry'; why: string }
  /** Never worth trying again: no such run, the run ended, a chunk or a name serve refuses. */
  | { kind: 'refused'; why: string };

const REQUEST_TIMEOUT_MS = 30_000;

export function postChunk(
  target: IngestTarget,
  stream: IngestStream,
  offset: number,
  body: Buffer,
  timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<IngestAnswer> {
  const path = ingestPath(target.runId, stream);
  const url = new URL(`${path}?offset=${offset}`, target.serveUrl.replace(/\/*$/, '/'));
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const req = send(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/octet-stream',
        'content-length': String(body.length),
        authorization: ingestAuthorization(target.key, 'POST', path, offset, body),
        'user-agent': target.userAgent ?? 'cc-ci drone step',
      },
      timeout: timeoutMs,
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on('error', (err) =>
      resolve({ kind: 'retry', why: `serve at ${target.serveUrl} is unreachable: ${err.message}` }),
    );
    req.on('response', (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('error', (err) => resolve({ kind: 'retry', why: `serve's answer broke off: ${err.message}` }));
      res.on('end', () => resolve(readAnswer(res.statusCode ?? 0, Buffer.concat(parts).toString('utf8'))));
    });
    req.end(body);
  });
}

/** serve's answer (src/server/ingest.ts) as what the shipper does next. */
export function readAnswer(status: number, text: string): IngestAnswer {
  let json: { offset?: unknown; stop?: unknown; error?: { message?: unknown } } = {};
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    /* a proxy's page, or nothing */
  }
  const message = typeof json.error?.message === 'string' ? json.error.message : text.slice(0, 200).trim();
  const offset = typeof json.offset === 'number' && Number.isSafeInteger(json.offset) ? json.offset : undefined;
  if ((status === 200 || status === 409) && offset !== undefined) {
    const stop = stopReason(json.stop);
    return stop ? { kind: 'held', offset, stop } : { kind: 'held', offset };
  }
  if (status >= 500 || status === 429 || status === 408 || status === 0)
    return { kind: 'retry', why: `serve answered ${status}: ${message}` };
  // A refused credential may be an operator fixing serve's secret: worth the retries, said loudly.
  if (status === 401) return { kind: 'retry', why: `serve refused the ingest credential (401): ${message}` };
  return { kind: 'refused', why: `serve answered ${status}: ${message}` };
}

/** A stop reason as serve sends it (src/model/run-folder.ts's), or nothing when it is not one. */
function stopReason(value: unknown): StopReason | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const { code, message } = value as { code?: unknown; message?: unknown };
  if (typeof code !== 'string' || !(stopCodes as readonly string[]).includes(code)) return undefined;
  const text = typeof message === 'string' && message ? message.slice(0, 500) : code.toLowerCase();
  return { code: code as StopReason['code'], message: text };
}
