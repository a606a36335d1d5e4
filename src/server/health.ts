// `GET /healthz` (DESIGN §3.7): 200 while the store answers, with the queue's size; 503 when it
// cannot be read (a monitor then knows the server cannot take or report runs). An enrolled
// repository the forge will not let cc-ci poll makes it `degraded` (still 200: every other
// repository and the dashboard work), naming the repository, what the forge said and what to do;
// so does a filesystem of the store or Docker's data root below dashboard.minFreeSpace. While
// `serve --drain` waits for its running runs it says `draining` (still 200: comments are still
// queued), with how many runs it waits for and until when.
import type { FastifyInstance } from 'fastify';
import { errorMessage } from '../model/errors.js';
import type { DiskUse } from './disk-use.js';
import { lowDiskWarnings } from './disk-warnings.js';
import type { ServerDeps } from './server-deps.js';

/** Each filesystem's free space, and those below the threshold with what to do. */
async function diskHealth(disk: DiskUse, minFreeBytes: number) {
  const sample = await disk.sample();
  return {
    minFreeBytes,
    storeSizeBytes: sample.storeSizeBytes,
    volumes: sample.volumes,
    low: lowDiskWarnings(sample, minFreeBytes).map(({ volume, path, freeBytes, message, fix }) => ({
      volume,
      path,
      freeBytes,
      message,
      fix,
    })),
  };
}

export function registerHealth(app: FastifyInstance, deps: ServerDeps): void {
  app.get('/healthz', async (_req, reply) => {
    reply.header('cache-control', 'no-store');
    try {
      // The queued and running runs only (indexed, few), not a count over the whole history.
      const queued = deps.store.inState('queued').length;
      const running = deps.store.inState('running').length;
      const failing = (deps.forgeRepos?.() ?? [])
        .filter((r) => !r.ok)
        .map(({ repo, failures, error, fix, failingSince, nextPollAt }) => ({
          repo,
          failures,
          ...(error ? { code: error.code, message: error.message } : {}),
          fix,
          failingSince,
          nextPollAt,
        }));
      const forge = deps.forgeRepos ? { forge: { failing } } : {};
      const disk = deps.disk ? await diskHealth(deps.disk, deps.config.dashboard.minFreeSpace) : undefined;
      const degraded = failing.length > 0 || (disk?.low.length ?? 0) > 0;
      const drain = deps.runs.drainState?.();
      const status = drain ? 'draining' : degraded ? 'degraded' : 'ok';
      const draining = drain ? { draining: { running: drain.running, until: drain.until.toISOString() } } : {};
      return reply.code(200).send({ status, queued, running, ...draining, ...forge, ...(disk ? { disk } : {}) });
    } catch (err) {
      deps.log.error(`health check: the run store cannot be read: ${errorMessage(err)}`);
      return reply
        .code(503)
        .send({ status: 'error', error: { code: 'STORE_FAILED', message: 'the run store cannot be read' } });
    }
  });
}
