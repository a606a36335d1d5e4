// The stand-in's part of Drone's REST API (interfaces §D): authentication by `Authorization:
// Bearer` or `?access_token=` (401 otherwise), create a custom build (the newer create.go's
// parameter rule), get, list, latest, cancel, and a step's log. Errors are Drone's
// `{"message": …}` bodies (render.go).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from '../forge/body.js';
import { matchPath } from '../forge/path-match.js';
import { buildJson, nowSeconds, type BuildRec } from './records.js';
import type { Store, UserRec } from './store.js';

export interface ApiDeps {
  store: Store;
  /** Tells the runners to kill the build's step. */
  cancelOnRunners: (build: BuildRec) => void;
}

export function send(res: ServerResponse, status: number, value: unknown): void {
  const body = value === undefined ? '' : JSON.stringify(value) + '\n';
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

const errorBody = (message: string) => ({ message });

export async function serveApi(deps: ApiDeps, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const { store } = deps;
  const header = req.headers.authorization ?? '';
  const token = header.startsWith('Bearer ') ? header.slice(7).trim() : (url.searchParams.get('access_token') ?? '');
  const user = store.userByToken(token);
  // The body is read whatever the route, so a create can tell an empty body from a sent one.
  const body = await readBody(req);
  if (!user) return send(res, 401, errorBody('Unauthorized'));
  const method = req.method ?? 'GET';
  const p = url.pathname;
  if (method === 'GET' && p === '/api/user') return send(res, 200, { login: user.login });

  let m = matchPath('/api/repos/:owner/:name/builds', p);
  if (m) {
    const repo = store.repos.get(`${m.owner}/${m.name}`);
    if (!repo) return send(res, 404, errorBody('Not Found'));
    if (method === 'POST') return createBuild(deps, res, url, body, repo.slug, user);
    if (method === 'GET') {
      const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
      const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page') ?? 25) || 25));
      const newest = [...repo.builds].reverse().slice((page - 1) * perPage, page * perPage);
      return send(
        res,
        200,
        newest.map((b) => buildJson(b, false)),
      );
    }
    return send(res, 405, errorBody('Method Not Allowed'));
  }
  m = matchPath('/api/repos/:owner/:name/builds/latest', p);
  if (m && method === 'GET') {
    const repo = store.repos.get(`${m.owner}/${m.name}`);
    const ref =
      url.searchParams.get('ref') ??
      (url.searchParams.get('branch') ? `refs/heads/${url.searchParams.get('branch')}` : '');
    const latest = repo?.builds.filter((b) => !ref || b.ref === ref).at(-1);
    return latest ? send(res, 200, buildJson(latest)) : send(res, 404, errorBody('Not Found'));
  }
  m = matchPath('/api/repos/:owner/:name/builds/:number', p);
  if (m) {
    const build = store.findBuild(`${m.owner}/${m.name}`, Number(m.number));
    if (!build) return send(res, 404, errorBody('Not Found'));
    if (method === 'GET') return send(res, 200, buildJson(build));
    if (method === 'DELETE') {
      cancelBuild(build);
      deps.cancelOnRunners(build);
      return send(res, 200, buildJson(build));
    }
    return send(res, 405, errorBody('Method Not Allowed'));
  }
  m = matchPath('/api/repos/:owner/:name/builds/:number/logs/:stage/:step', p);
  if (m && method === 'GET') {
    const build = store.findBuild(`${m.owner}/${m.name}`, Number(m.number));
    const step = build?.stages
      .find((s) => s.number === Number(m?.stage))
      ?.steps.find((s) => s.number === Number(m?.step));
    return step?.log ? send(res, 200, step.log) : send(res, 404, errorBody('Not Found'));
  }
  return send(res, 404, errorBody('Not Found'));
}

/**
 * The newer create.go: with no body, every query value but access_token becomes a parameter,
 * `branch` and `commit` included; with a body, the parameters are the body's (none here), so the
 * query's are lost. `branch` and `commit` still choose the build's branch and commit.
 */
function createBuild(deps: ApiDeps, res: ServerResponse, url: URL, body: Buffer, slug: string, user: UserRec) {
  const repo = deps.store.repos.get(slug);
  if (!repo) return send(res, 404, errorBody('Not Found'));
  const params: Record<string, string> = {};
  if (body.length === 0) for (const [key, value] of url.searchParams) if (key !== 'access_token') params[key] = value;
  const branch = url.searchParams.get('branch') || repo.defaultBranch;
  const commit = url.searchParams.get('commit') ?? '';
  const build = deps.store.createBuild(repo, user, branch, commit, params);
  // No pipeline runs on a custom event: Drone's trigger makes no build and the handler writes null.
  return send(res, 200, build ? buildJson(build) : null);
}

/** Drone's canceler: the build and its running stages and steps `killed`, the pending ones `skipped`. */
export function cancelBuild(build: BuildRec): void {
  if (!['pending', 'running', 'blocked', 'waiting_on_dependencies'].includes(build.status)) return;
  const now = nowSeconds();
  for (const stage of build.stages) {
    if (stage.status === 'running') stage.status = 'killed';
    else if (stage.status === 'pending') stage.status = 'skipped';
    else continue;
    stage.stopped = now;
    for (const step of stage.steps) {
      if (step.status === 'running') step.status = 'killed';
      else if (step.status === 'pending') step.status = 'skipped';
      else continue;
      step.stopped = now;
    }
  }
  build.status = 'killed';
  build.finished = now;
  build.updated = now;
}
