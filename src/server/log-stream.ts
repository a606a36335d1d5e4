// GET /runs/:id/log: a run's log as people read it (src/server/log-read.ts formats it). A
// finished run's log is plain text; a queued or running run's is an SSE stream (live-logs.ts):
// what is there, then the file as it grows, and `event: end` once the run reaches its final
// state. Reads are big and each write carries many lines, so one client can take tens of MB a
// second; every batch ends with `id: <byte offset>` so an EventSource that reconnects
// (Last-Event-ID) or a page that already shows the first lines (?offset=) resumes where it left
// off. Live streams are capped in all and per client address (503 and 429 past the caps).
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { isTerminal, type RunRecord } from '../model/run.js';
import type { SecretRegistry } from '../secrets/secret-registry.js';
import { LiveLogs } from './live-logs.js';
import { formatLogBytes, LogFormatter, LogReader } from './log-read.js';
import type { ServerDeps } from './server-deps.js';

// Where pages and tests have always found them.
export { formatLog, formatLogBytes, LogFormatter, LogReader, readLogTail } from './log-read.js';

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$/;

/** The run a route's `:id` names, or undefined when the id is malformed or unknown. */
export function runFromParam(deps: Pick<ServerDeps, 'store'>, id: string): RunRecord | undefined {
  return RUN_ID.test(id) ? deps.store.getRun(id) : undefined;
}

export function runLogFile(deps: Pick<ServerDeps, 'runs'>, id: string): string {
  return deps.runs.runFiles(id).log;
}

// ---------------------------------------------------------------------------------------------
// The route

export function registerLogStream(app: FastifyInstance, deps: ServerDeps): void {
  const liveLogs = deps.liveLogs ?? new LiveLogs(deps);
  app.get<{ Params: { id: string }; Querystring: { offset?: string } }>('/runs/:id/log', async (request, reply) => {
    const run = runFromParam(deps, request.params.id);
    if (!run) return reply.code(404).type('text/plain; charset=utf-8').send('no such run\n');
    if (run.prunedAt)
      return reply
        .code(410)
        .type('text/plain; charset=utf-8')
        .send(`run ${run.id}'s log was pruned (config retention) at ${run.prunedAt}\n`);
    const file = runLogFile(deps, run.id);
    const wantsEvents = /text\/event-stream/.test(request.headers.accept ?? '');
    if (isTerminal(run) && !wantsEvents) {
      const exists = await stat(file).then(
        (s) => s.isFile(),
        () => false,
      );
      reply
        .type('text/plain; charset=utf-8')
        .header('cache-control', 'no-cache')
        .header('x-content-type-options', 'nosniff');
      return reply.send(exists ? Readable.from(plainText(file, deps.secrets), { objectMode: false }) : '');
    }
    if (request.method === 'HEAD')
      return reply.type('text/event-stream; charset=utf-8').header('cache-control', 'no-cache').send();
    // An EventSource that reconnects after the run ended still gets the rest and `end`. An offset
    // past the end of the file (none is handed out) would leave the run's shared tail waiting there.
    const size = await stat(file).then(
      (s) => s.size,
      () => 0,
    );
    const start = Math.min(startOffset(request.headers['last-event-id'], request.query.offset), size);
    const refused = liveLogs.refusal(request.ip);
    if (refused) {
      const { maxLiveLogs, maxLiveLogsPerClient } = deps.config.dashboard;
      return reply
        .code(refused === 'full' ? 503 : 429)
        .header('retry-after', '30')
        .type('text/plain; charset=utf-8')
        .send(
          refused === 'full'
            ? `the server has ${maxLiveLogs} live logs open (dashboard.maxLiveLogs): try again later, ` +
                'or read the log from the run page without following it\n'
            : `this address has ${maxLiveLogsPerClient} live logs open (dashboard.maxLiveLogsPerClient): ` +
                'close some and try again\n',
        );
    }
    reply.hijack();
    liveLogs.stream(reply.raw, request.ip, run.id, file, start);
  });
}

function startOffset(lastEventId: string | string[] | undefined, offset: string | undefined): number {
  const value = (Array.isArray(lastEventId) ? lastEventId[0] : lastEventId) ?? offset;
  return value !== undefined && /^\d{1,15}$/.test(value) ? Number(value) : 0;
}

/** The whole log as plain text, streamed in big pieces (the socket's backpressure paces the reads). */
async function* plainText(file: string, secrets: SecretRegistry): AsyncGenerator<Buffer> {
  const reader = new LogReader(file);
  const fmt = new LogFormatter();
  try {
    for (;;) {
      const { text, eof } = await reader.read();
      if (text) yield formatLogBytes(text, fmt, 'text', secrets);
      if (eof) break;
    }
    const rest = reader.rest();
    if (rest) yield formatLogBytes(rest, fmt, 'text', secrets);
  } finally {
    await reader.close();
  }
}
