// The HTTP server (DESIGN §3.7), built on fastify: pages and SSE logs, artifacts, badges, the
// API, /metrics and /healthz. Each concern registers its routes from its own file; the limits
// every request shares (body size, timeouts, nosniff, the client address) are set here.
import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerApi } from './api.js';
import { registerArtifacts } from './artifacts.js';
import { AuthBackoff } from './auth-backoff.js';
import { registerBadges } from './badges.js';
import { registerCard } from './card.js';
import { registerHealth } from './health.js';
import { registerHook } from './hook.js';
import { registerIngest } from './ingest.js';
import { LiveLogs } from './live-logs.js';
import { registerLogStream } from './log-stream.js';
import { registerMetrics } from './metrics.js';
import { registerPages } from './pages/routes.js';
import type { ServerDeps } from './server-deps.js';

// Request bodies cc-ci accepts are small JSON or forms; anything bigger is refused with 413.
export const BODY_LIMIT = 64 * 1024;

export interface ServerTimeouts {
  /** A request (headers and body) must have come in whole by then, or its socket is closed. */
  requestMs: number;
  /** A socket with nothing read or written for this long is closed (live logs send a heartbeat every 15 s). */
  idleMs: number;
  /** How often Node looks for requests past requestMs. */
  checkEveryMs: number;
}

export const SERVER_TIMEOUTS: ServerTimeouts = { requestMs: 30_000, idleMs: 60_000, checkEveryMs: 5_000 };

export async function buildServer(
  deps: ServerDeps,
  timeouts: ServerTimeouts = SERVER_TIMEOUTS,
): Promise<FastifyInstance> {
  const proxies = deps.config.dashboard.trustedProxies;
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT,
    // Only the named proxies' X-Forwarded-For is believed; otherwise request.ip is the peer.
    trustProxy: proxies.length > 0 ? [...proxies] : false,
    // A live log's GET is complete when it arrives, so requestTimeout never cuts a stream short.
    requestTimeout: timeouts.requestMs,
    connectionTimeout: timeouts.idleMs,
    // Node looks for late requests only when its server is made with a request timeout: setting
    // one afterwards (as fastify does) is not enough.
    http: { requestTimeout: timeouts.requestMs, connectionsCheckingInterval: timeouts.checkEveryMs },
  });
  // Every answer, whichever route or error produced it: no content sniffing.
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    return payload;
  });
  const full: ServerDeps = {
    ...deps,
    authBackoff: deps.authBackoff ?? new AuthBackoff(),
    liveLogs: deps.liveLogs ?? new LiveLogs(deps),
  };
  // Before the server waits for its connections to end: live logs would keep it open.
  app.addHook('preClose', async () => full.liveLogs?.close());
  await app.register(formbody);
  registerHealth(app, full);
  registerMetrics(app, full);
  registerBadges(app, full);
  registerApi(app, full);
  registerArtifacts(app, full);
  registerLogStream(app, full);
  registerPages(app, full);
  registerHook(app, full);
  registerIngest(app, full);
  registerCard(app, full);
  return app;
}
