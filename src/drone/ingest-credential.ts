// The per-run ingest credential (docs/drone-ingest.md). serve and the runner hosts share one
// secret; a run's key is derived from it and the run id, so a key lets its holder write that run
// only. Each ingest request is signed with the run's key over what it does (method, path, offset,
// the body's digest): a captured request cannot be bent to another offset, body or run, and
// replayed as it was it meets an offset serve already holds (409), so it writes nothing.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The Authorization scheme of an ingest request: `CCCI-Ingest <hex signature>`. */
export const INGEST_SCHEME = 'CCCI-Ingest';

/** What a runner sends: the run's events, or one file of its artifacts folder (run.log among them). */
export type IngestStream = 'events' | `artifacts/${string}`;

/** The run's key: HMAC-SHA256(secret, "cc-ci ingest v1\n" + runId). */
export function runIngestKey(secret: string, runId: string): Buffer {
  return createHmac('sha256', secret).update(`cc-ci ingest v1\n${runId}`, 'utf8').digest();
}

/** The path of a stream's ingest route; serve signs and checks the same text. */
export function ingestPath(runId: string, stream: IngestStream): string {
  return `/api/runs/${runId}/ingest/${stream}`;
}

/** The signature of one request: HMAC-SHA256(key, method, path, offset and the body's SHA-256). */
export function signIngest(key: Buffer, method: string, path: string, offset: number, body: Uint8Array): string {
  const digest = createHash('sha256').update(body).digest('hex');
  return createHmac('sha256', key)
    .update(`cc-ci ingest request v1\n${method.toUpperCase()}\n${path}\n${offset}\n${digest}`, 'utf8')
    .digest('hex');
}

/** The Authorization header of one request. */
export function ingestAuthorization(key: Buffer, method: string, path: string, offset: number, body: Uint8Array) {
  return `${INGEST_SCHEME} ${signIngest(key, method, path, offset, body)}`;
}

/** Whether an Authorization header carries the right signature (compared in constant time). */
export function ingestSignatureMatches(
  header: string | undefined,
  expected: { key: Buffer; method: string; path: string; offset: number; body: Uint8Array },
): boolean {
  const m = new RegExp(`^${INGEST_SCHEME} ([0-9a-f]{64})$`).exec(header ?? '');
  if (!m?.[1]) return false;
  const want = Buffer.from(
    signIngest(expected.key, expected.method, expected.path, expected.offset, expected.body),
    'hex',
  );
  return timingSafeEqual(want, Buffer.from(m[1], 'hex'));
}
