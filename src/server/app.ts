// The HTTP server (DESIGN §3.7), built on fastify: pages and SSE logs, artifacts, badges, the
// API, /metrics and /healthz. Each concern registers its routes from its own file.
import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerApi } from './api.js';
import { registerArtifacts } from './artifacts.js';
import { registerBadges } from './badges.js';
import { registerCard } from './card.js';
import { registerHealth } from './health.js';
import { registerHook } from './hook.js';
import { registerLogStream } from './log-stream.js';
import { registerMetrics } from './metrics.js';
import { registerPages } from './pages/routes.js';
import type { ServerDeps } from './server-deps.js';

// Request bodies cc-ci accepts are small JSON or forms; anything bigger is refused with 413.
export const BODY_LIMIT = 64 * 1024;

export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT, trustProxy: false });
  await app.register(formbody);
  registerHealth(app, deps);
  registerMetrics(app, deps);
  registerBadges(app, deps);
  registerApi(app, deps);
  registerArtifacts(app, deps);
  registerLogStream(app, deps);
  registerPages(app, deps);
  registerHook(app, deps);
  registerCard(app, deps);
  return app;
}
