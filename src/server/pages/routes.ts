// The dashboard's pages (DESIGN §3.7): GET /, /recipes/:recipe, /runs/:id, and the admin forms
// POST /runs/:id/cancel and /runs/:id/rerun (form-encoded, the admin token as the `token` field,
// compared in constant time). Server-rendered HTML that works without JavaScript; the only
// script is the run page's live log, allowed by a per-response CSP nonce.
import { isTerminal } from '../../model/run.js';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorMessage } from '../../model/errors.js';
import { tokenMatches } from '../admin-auth.js';
import { runFromParam } from '../log-stream.js';
import type { ServerDeps } from '../server-deps.js';
import { contentSecurityPolicy, messagePage } from './html.js';
import { overviewPage } from './overview.js';
import { PageCache, type CachedPage } from './page-cache.js';
import { recipePage } from './recipe.js';
import { runPage } from './run.js';
import { SparklineCache } from './sparklines.js';

type FormBody = { token?: unknown } | undefined;

// Long enough to serve a crowd from one render, short enough that ages stay right.
const PAGE_TTL_MS = 2_000;

export function registerPages(app: FastifyInstance, deps: ServerDeps): void {
  const cache = new PageCache(PAGE_TTL_MS);
  const sparklines = new SparklineCache();
  deps.runs.onChange(({ run }) => {
    cache.delete('/');
    cache.delete(`/recipes/${run.recipe}`);
    cache.delete(`/runs/${run.id}`);
  });

  app.get('/', async (request, reply) => {
    // At most a minute old, so cheap on most requests (src/server/disk-use.ts).
    const disk = await deps.disk?.sample();
    return sendCached(
      request,
      reply,
      cache.get('/', Date.now(), () => overviewPage(deps, Date.now(), disk, sparklines)),
    );
  });

  app.get<{ Params: { recipe: string } }>('/recipes/:recipe', async (request, reply) => {
    const { recipe } = request.params;
    const page = cache.get(`/recipes/${recipe}`, Date.now(), () => recipePage(deps, recipe, Date.now()) ?? '');
    if (page.body === '')
      return sendPage(reply, 404, messagePage(404, 'No such recipe', `cc-ci knows no recipe "${recipe}".`));
    return sendCached(request, reply, page);
  });

  app.get<{ Params: { id: string } }>('/runs/:id', async (request, reply) => {
    const run = runFromParam(deps, request.params.id);
    if (!run) return sendPage(reply, 404, noSuchRun());
    // A finished run's page has no script (so no nonce in it) and changes only with its age: cached.
    if (isTerminal(run))
      return sendCached(
        request,
        reply,
        await cache.getAsync(`/runs/${run.id}`, Date.now(), () => runPage(deps, run, Date.now(), '')),
      );
    const nonce = randomBytes(16).toString('base64');
    return sendPage(reply, 200, await runPage(deps, run, Date.now(), nonce), nonce);
  });

  app.post<{ Params: { id: string }; Body: FormBody }>('/runs/:id/cancel', async (request, reply) => {
    const run = runFromParam(deps, request.params.id);
    if (!run) return sendPage(reply, 404, noSuchRun());
    const refused = refuseForm(deps, request.ip, request.body, reply, run.id);
    if (refused) return refused;
    if (!isTerminal(run)) {
      deps.log.info({ runId: run.id }, `run ${run.id} cancelled from the dashboard`);
      // The teardown takes a while; the run page shows it going.
      deps.runs.cancel(run.id, 'cancelled from the dashboard').catch((err: unknown) => {
        deps.log.error({ runId: run.id, err }, `cancelling run ${run.id} failed: ${errorMessage(err)}`);
      });
    }
    return reply
      .code(303)
      .header('location', `/runs/${encodeURIComponent(run.id)}`)
      .send();
  });

  app.post<{ Params: { id: string }; Body: FormBody }>('/runs/:id/rerun', async (request, reply) => {
    const run = runFromParam(deps, request.params.id);
    if (!run) return sendPage(reply, 404, noSuchRun());
    const refused = refuseForm(deps, request.ip, request.body, reply, run.id);
    if (refused) return refused;
    let next;
    try {
      next = deps.runs.enqueue({
        recipe: run.recipe,
        repo: run.repo,
        ref: run.ref,
        // The commit the run tested (or was pinned to), never what the ref names by now.
        ...(run.sha ? { sha: run.sha } : {}),
        pr: run.pr,
        stages: run.stages,
        keep: run.keep,
        trigger: { kind: 'rerun', rerunOf: run.id },
      });
    } catch (err) {
      deps.log.error({ runId: run.id, err }, `re-running run ${run.id} failed: ${errorMessage(err)}`);
      return sendPage(
        reply,
        500,
        messagePage(500, 'Could not re-run', `The run could not be queued: ${errorMessage(err)}`, {
          href: `/runs/${encodeURIComponent(run.id)}`,
          label: '← Back to the run',
        }),
      );
    }
    deps.log.info(
      { runId: next.id, rerunOf: run.id },
      `run ${next.id} queued from the dashboard as a re-run of ${run.id}`,
    );
    return reply
      .code(303)
      .header('location', `/runs/${encodeURIComponent(next.id)}`)
      .send();
  });
}

function sendPage(
  reply: FastifyReply,
  status: number,
  body: string | Buffer,
  nonce = randomBytes(16).toString('base64'),
): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', contentSecurityPolicy(nonce))
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin')
    .header('cache-control', 'no-store')
    .send(body);
}

/** A cached page, gzipped once for every client that accepts it. */
function sendCached(request: FastifyRequest, reply: FastifyReply, page: CachedPage): FastifyReply {
  reply.header('vary', 'accept-encoding');
  if (!/\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''))) return sendPage(reply, 200, page.body);
  reply.header('content-encoding', 'gzip');
  return sendPage(reply, 200, page.gzip());
}

function noSuchRun(): string {
  return messagePage(404, 'No such run', 'There is no such run.');
}

/** The 429 or 401 page when the form's token may not act (nothing when it may). */
function refuseForm(
  deps: ServerDeps,
  ip: string,
  body: FormBody,
  reply: FastifyReply,
  id: string,
): FastifyReply | undefined {
  const waitMs = deps.authBackoff?.waitMs(ip) ?? 0;
  if (waitMs > 0) {
    const seconds = Math.ceil(waitMs / 1000);
    reply.header('retry-after', String(seconds));
    const why = `Too many wrong admin tokens came from this address. Wait ${seconds} s, then try again.`;
    const back = { href: `/runs/${encodeURIComponent(id)}`, label: '← Back to the run' };
    return sendPage(reply, 429, messagePage(429, 'Slow down', why, back));
  }
  const token = body && typeof body === 'object' && typeof body.token === 'string' ? body.token : undefined;
  if (tokenMatches(deps.config.secrets.adminToken, token)) {
    deps.authBackoff?.succeeded(ip);
    return undefined;
  }
  if (deps.config.secrets.adminToken) deps.authBackoff?.failed(ip);
  return unauthorised(deps, reply, id);
}

function unauthorised(deps: ServerDeps, reply: FastifyReply, id: string): FastifyReply {
  const why = deps.config.secrets.adminToken
    ? 'The admin token is missing or wrong. Nothing was changed.'
    : 'This server has no admin token configured (dashboard.adminTokenFile or CCCI_ADMIN_TOKEN), ' +
      'so the admin forms are off. Nothing was changed.';
  return sendPage(
    reply,
    401,
    messagePage(401, 'Not allowed', why, { href: `/runs/${encodeURIComponent(id)}`, label: '← Back to the run' }),
  );
}
