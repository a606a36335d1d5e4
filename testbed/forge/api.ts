// The /api/v1 front: fault injection, authentication (services/auth: an invalid token is 401
// on every route, even public ones), REQUIRE_SIGNIN_VIEW, then the route table. Unknown paths
// are 404 with ctx.NotFound's body; a known path with another method is 405 (guess).
import type { IncomingMessage } from 'node:http';
import { authenticate } from './access.js';
import type { ForgeCore } from './core.js';
import { ForgeError } from './pulls.js';
import type { Reply } from './reply.js';
import { matchPath } from './path-match.js';
import { routes } from './routes/index.js';
import type { ApiCtx } from './route.js';
import type { UserRec } from './types.js';

/** Serve one /api/v1 request; `who.user` is set as soon as the caller is known (request log). */
export async function serveApi(
  core: ForgeCore,
  req: IncomingMessage,
  reply: Reply,
  requestUrl: string,
  who: { user: UserRec | null },
): Promise<void> {
  const fault = core.faults.active();
  if (fault?.mode === '500') {
    reply.error(500, '');
    return;
  }
  if (fault?.mode === 'hang') {
    await core.faults.waitUntilOver();
    if (req.socket.destroyed) return;
  }

  const url = new URL(requestUrl, 'http://forge.invalid');
  const path = url.pathname.replace(/^\/api\/v1/, '') || '/';
  const auth = authenticate(core.store, req, url.searchParams);
  if (auth.kind === 'invalid') {
    reply.error(401, auth.message);
    return;
  }
  const doer = auth.kind === 'user' ? auth.user : null;
  who.user = doer;
  if (core.requireSignInView && !doer) {
    reply.json(403, { message: 'Only signed in user is allowed to call APIs.' });
    return;
  }

  const method = req.method ?? 'GET';
  let pathKnown = false;
  for (const route of routes) {
    const params = matchPath(route.path, path);
    if (!params) continue;
    pathKnown = true;
    if (route.method !== method) continue;
    const ctx: ApiCtx = { core, req, reply, method, requestUrl, query: url.searchParams, params, doer };
    try {
      await route.handler(ctx);
      if (!reply.done) reply.empty(200);
    } catch (err) {
      if (reply.done) throw err;
      if (err instanceof ForgeError) reply.error(err.status, err.message);
      else reply.error(500, err instanceof Error ? err.message : String(err));
    }
    return;
  }
  if (pathKnown) reply.empty(405);
  else reply.notFound();
}
