// The ingest routes (docs/drone-ingest.md): a run that executes on a runner host (a Drone step)
// sends its events file and its artifacts (run.log among them) here as they grow, and they land
// in the run's folder under the same names a local child writes, so the run is followed, shown
// and reported exactly like a local one.
//
//   POST /api/runs/:id/ingest/events?offset=N            → <store>/runs/<id>/events.jsonl
//   POST /api/runs/:id/ingest/artifacts/:name?offset=N    → <store>/runs/<id>/artifacts/<name>
//
// Each request appends its body (application/octet-stream) at exactly `offset`: an offset serve
// holds already, or one beyond what it holds, is 409 with the offset held, from which the runner
// resumes. So a retry after a lost answer and a replayed request both write nothing twice.
// A request is signed with the run's own key (src/drone/ingest-credential.ts); a wrong signature
// is 401, and an address that keeps sending wrong ones waits (auth-backoff.ts), like the admin's.
// The bytes are stored as they came: they were masked by the runner's registry, and masking them
// again here would change their length and so the offsets; what serve shows of them (pages, the
// log route, the API) passes serve's registry on the way out.
import { constants, fstatSync, lstatSync, mkdirSync, openSync, closeSync, readdirSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ingestPath, ingestSignatureMatches, runIngestKey, type IngestStream } from '../drone/ingest-credential.js';
import { systemClock, type Clock } from '../model/clock.js';
import { errorMessage } from '../model/errors.js';
import { isTerminal, type RunRecord } from '../model/run.js';
import { isArtifactName, readStopReason, type RunFolder } from '../model/run-folder.js';
import { sendError, sendJson } from './api.js';
import { AuthBackoff } from './auth-backoff.js';
import { runFromParam } from './log-stream.js';
import type { ServerDeps } from './server-deps.js';

/** One request's body at most (the runner sends smaller chunks). */
export const INGEST_BODY_LIMIT = 1024 * 1024;
/** All a run may send: its events and every artifact together. */
export const INGEST_RUN_LIMIT = 1024 ** 3;
/** Files in a run's artifacts folder at most. */
export const INGEST_MAX_ARTIFACTS = 500;
/**
 * How long after a run ended its runner may still deliver: serve may have ended the run (a cancel,
 * Drone's report) while the step was still sending the last of the log and the artifacts.
 */
export const LATE_INGEST_MS = 10 * 60_000;

const OFFSET = /^\d{1,15}$/;

export function registerIngest(app: FastifyInstance, deps: ServerDeps): void {
  const secret = deps.config.secrets.ingestSecret;
  // Without the shared secret no runner could sign a request: the routes do not exist.
  if (!secret) return;
  // Its own back-off: a runner with a wrong secret does not slow the admin down, nor the reverse.
  const ctx: IngestContext = { deps, secret, backoff: new AuthBackoff(), clock: deps.clock ?? systemClock };
  void app.register(async (scope) => {
    scope.addContentTypeParser(
      'application/octet-stream',
      { parseAs: 'buffer', bodyLimit: INGEST_BODY_LIMIT },
      (_request, body, done) => done(null, body),
    );
    // Before the body is read: an address that must wait is not even heard.
    scope.addHook('onRequest', async (request, reply) => {
      const waitMs = ctx.backoff.waitMs(request.ip);
      if (waitMs <= 0) return undefined;
      const seconds = Math.ceil(waitMs / 1000);
      reply.header('retry-after', String(seconds));
      const message = `too many wrong ingest credentials from this address: wait ${seconds} s`;
      return sendError(reply, deps, 429, 'RATE_LIMITED', message);
    });
    const limits = { bodyLimit: INGEST_BODY_LIMIT };
    scope.post<IngestRoute>('/api/runs/:id/ingest/events', limits, (request, reply) =>
      ingest(ctx, request, reply, 'events'),
    );
    scope.post<IngestRoute>('/api/runs/:id/ingest/artifacts/:name', limits, (request, reply) => {
      const name = request.params.name ?? '';
      if (!isArtifactName(name))
        return sendError(reply, deps, 400, 'INPUT_INVALID', 'not an artifact name (letters, digits, . _ -)');
      return ingest(ctx, request, reply, `artifacts/${name}`);
    });
  });
}

interface IngestContext {
  deps: ServerDeps;
  secret: string;
  backoff: AuthBackoff;
  clock: Clock;
}

type IngestRoute = { Params: { id: string; name?: string }; Querystring: { offset?: string } };

/** One request: its offset, its signature, its run, then the append. */
function ingest(
  { deps, secret, backoff, clock }: IngestContext,
  request: FastifyRequest<IngestRoute>,
  reply: FastifyReply,
  stream: IngestStream,
): FastifyReply {
  const { id } = request.params;
  const offsetText = request.query.offset ?? '';
  if (!OFFSET.test(offsetText))
    return sendError(reply, deps, 400, 'INPUT_INVALID', 'offset: expected the byte offset to append at');
  const offset = Number(offsetText);
  const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  const key = runIngestKey(secret, id);
  const expected = { key, method: request.method, path: ingestPath(id, stream), offset, body };
  if (!ingestSignatureMatches(request.headers.authorization, expected)) {
    backoff.failed(request.ip);
    deps.log.warn({ ip: request.ip }, 'ingest request with a wrong credential: refused');
    const message =
      "wrong ingest credential for this run: the runner's CCCI_INGEST_SECRET must be serve's ingest secret";
    return sendError(reply, deps, 401, 'UNAUTHORIZED', message);
  }
  backoff.succeeded(request.ip);
  const run = runFromParam(deps, id);
  if (!run) return sendError(reply, deps, 404, 'NOT_FOUND', 'no such run');
  if (!acceptsIngest(run, clock.now().getTime())) {
    const message = `run ${run.id} ended at ${run.finishedAt}: nothing more is taken`;
    return sendError(reply, deps, 410, 'RUN_FINISHED', message);
  }
  return append(reply, deps, deps.runs.runFiles(run.id), stream, offset, body);
}

/** A run takes ingest while it is queued or running, and for a while after it ended (late artifacts). */
export function acceptsIngest(run: Pick<RunRecord, 'state' | 'finishedAt'>, nowMs: number): boolean {
  if (!isTerminal(run)) return true;
  const ended = run.finishedAt ? Date.parse(run.finishedAt) : NaN;
  return Number.isFinite(ended) && nowMs - ended < LATE_INGEST_MS;
}

function append(
  reply: FastifyReply,
  deps: ServerDeps,
  folder: RunFolder,
  stream: IngestStream,
  offset: number,
  body: Buffer,
): FastifyReply {
  const file = stream === 'events' ? folder.events : join(folder.artifacts, stream.slice('artifacts/'.length));
  try {
    mkdirSync(folder.artifacts, { recursive: true });
    // The run's folders are cc-ci's own; a link in their place is not followed.
    for (const dir of [folder.dir, folder.artifacts])
      if (!lstatSync(dir).isDirectory())
        return sendError(reply, deps, 409, 'INPUT_INVALID', 'the run folder is not a plain folder');
    const sent = bytesHeld(folder);
    if (sent.bytes + body.length > INGEST_RUN_LIMIT)
      return sendError(reply, deps, 413, 'TOO_LARGE', `a run sends ${INGEST_RUN_LIMIT} bytes at most`);
    if (
      stream !== 'events' &&
      !sent.names.has(stream.slice('artifacts/'.length)) &&
      sent.names.size >= INGEST_MAX_ARTIFACTS
    )
      return sendError(reply, deps, 413, 'TOO_LARGE', `a run has ${INGEST_MAX_ARTIFACTS} artifacts at most`);
    let fd: number;
    try {
      fd = openSync(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ELOOP')
        return sendError(reply, deps, 409, 'INPUT_INVALID', 'that artifact is a link: it is not written through');
      throw err;
    }
    try {
      const info = fstatSync(fd);
      if (!info.isFile()) return sendError(reply, deps, 409, 'INPUT_INVALID', 'that artifact is not a regular file');
      // Checked on the open file, so nothing changes its size between the check and the write
      // (one request's write runs to its end before the next request is handled).
      // A stop serve's executor asked for (stop-reason.json, as for a local child) rides on every
      // answer: the step stops its run with it, so the run tears down with the reason serve gave.
      const stop = readStopReason(folder);
      const told = stop ? { stop } : {};
      if (info.size !== offset) {
        const message = `serve holds ${info.size} bytes of ${stream}: send from there`;
        return sendError(reply, deps, 409, 'OFFSET_HELD', message, { offset: info.size, ...told });
      }
      let written = 0;
      while (written < body.length) written += writeSync(fd, body, written);
      return sendJson(reply, deps, 200, { offset: offset + body.length, ...told });
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    deps.log.error(`ingest of ${stream} could not be written: ${errorMessage(err)}`);
    return sendError(reply, deps, 500, 'STORE_FAILED', `serve could not write ${stream}; the runner will retry`);
  }
}

/** What a run has sent so far: its events file and every file of its artifacts folder. */
function bytesHeld(folder: RunFolder): { bytes: number; names: Set<string> } {
  const size = (path: string) => {
    try {
      return lstatSync(path).size;
    } catch {
      return 0;
    }
  };
  const names = new Set(readdirSync(folder.artifacts));
  let bytes = size(folder.events);
  for (const name of names) bytes += size(join(folder.artifacts, name));
  return { bytes, names };
}
