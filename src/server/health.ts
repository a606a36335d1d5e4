// `GET /healthz` (DESIGN §3.7): 200 while the store answers, with the queue's size; 503 when it
// cannot be read (a monitor then knows the server cannot take or report runs).
import type { FastifyInstance } from 'fastify';
import { errorMessage } from '../model/errors.js';
import type { ServerDeps } from './server-deps.js';

export function registerHealth(app: FastifyInstance, deps: ServerDeps): void {
  app.get('/healthz', async (_req, reply) => {
    reply.header('cache-control', 'no-store');
    try {
      // The queued and running runs only (indexed, few), not a count over the whole history.
      const queued = deps.store.inState('queued').length;
      const running = deps.store.inState('running').length;
      return reply.code(200).send({ status: 'ok', queued, running });
    } catch (err) {
      deps.log.error(`health check: the run store cannot be read: ${errorMessage(err)}`);
      return reply
        .code(503)
        .send({ status: 'error', error: { code: 'STORE_FAILED', message: 'the run store cannot be read' } });
    }
  });
}
