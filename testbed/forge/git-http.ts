// Git over HTTP at /{owner}/{repo}(.git)/… through `git http-backend` (CGI): the request body is
// streamed to it, its `Status:` and headers parsed, its body streamed back. Access as Gitea's
// routers/web/repo/githttp.go gives it: anonymous clone of a public repository; a private one,
// or a push, needs Basic auth (a token as password, or as user name) — 401 with
// `WWW-Authenticate: Basic realm="."` otherwise; a push needs write access (403). Before refs
// are advertised, refs/pull/<n>/head is brought up to date; after a push too.
import { spawn } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { atLeast, authenticate, repoAccess } from './access.js';
import type { ForgeCore } from './core.js';
import { syncPullRefs } from './pulls.js';
import type { RepoRec, UserRec } from './types.js';

export const HTTP_BACKEND = '/usr/lib/git-core/git-http-backend';

const GIT_PATHS = /^(info\/refs|git-upload-pack|git-receive-pack|HEAD|objects\/.+)$/;

/** The repository and the path inside it, if the URL is a git request. */
export function gitTarget(core: ForgeCore, pathname: string): { repo: RepoRec | undefined; rest: string } | undefined {
  const m = /^\/([^/]+)\/([^/]+?)(?:\.git)?\/(.+)$/.exec(pathname);
  if (!m?.[1] || !m[2] || !m[3] || !GIT_PATHS.test(m[3])) return undefined;
  let owner: string;
  let name: string;
  try {
    owner = decodeURIComponent(m[1]);
    name = decodeURIComponent(m[2]);
  } catch {
    return undefined;
  }
  return { repo: core.store.repoByName(owner, name), rest: m[3] };
}

function plain(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): number {
  res.writeHead(status, { 'Content-Type': 'text/plain;charset=utf-8', ...headers });
  res.end(text);
  return status;
}

/** Serve a git request; `who.user` is set once the caller is known (request log). */
export async function serveGit(
  core: ForgeCore,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  target: { repo: RepoRec | undefined; rest: string },
  who: { user: UserRec | null },
): Promise<number> {
  const { repo, rest } = target;
  if (!repo) return plain(res, 404, 'Repository not found\n');
  const service = rest === 'info/refs' ? url.searchParams.get('service') : rest.startsWith('git-') ? rest : null;
  const push = service === 'git-receive-pack';
  const auth = authenticate(core.store, req, new URLSearchParams());
  const challenge = { 'WWW-Authenticate': 'Basic realm="."' };
  if (auth.kind === 'invalid') return plain(res, 401, 'Unauthorized\n', challenge);
  const user = auth.kind === 'user' ? auth.user : null;
  who.user = user;
  const mode = repoAccess(core.store, repo, user);
  if ((push || mode === 'none') && !user) return plain(res, 401, 'Unauthorized\n', challenge);
  if (mode === 'none') return plain(res, 404, 'Repository not found\n');
  if (push && !atLeast(mode, 'write')) return plain(res, 403, 'User permission denied\n');

  if (!push && rest === 'info/refs') await syncPullRefs(core, repo);
  const status = await runBackend(core, req, res, url, repo, rest, user);
  if (push) await syncPullRefs(core, repo).catch(() => undefined);
  return status;
}

function runBackend(
  core: ForgeCore,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  repo: RepoRec,
  rest: string,
  user: UserRec | null,
): Promise<number> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    GIT_PROJECT_ROOT: core.reposDir,
    GIT_HTTP_EXPORT_ALL: '1',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    PATH_INFO: `/${path.relative(core.reposDir, repo.dir)}/${rest}`,
    QUERY_STRING: url.search.replace(/^\?/, ''),
    REQUEST_METHOD: req.method ?? 'GET',
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    SERVER_PROTOCOL: `HTTP/${req.httpVersion}`,
    GATEWAY_INTERFACE: 'CGI/1.1',
  };
  if (req.headers['content-length'] !== undefined) env.CONTENT_LENGTH = req.headers['content-length'];
  if (req.headers['content-encoding']) env.HTTP_CONTENT_ENCODING = req.headers['content-encoding'];
  const protocol = req.headers['git-protocol'];
  if (typeof protocol === 'string') env.GIT_PROTOCOL = protocol;
  if (user) env.REMOTE_USER = user.login;

  return new Promise((resolve) => {
    const child = spawn(HTTP_BACKEND, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let head = Buffer.alloc(0);
    let headersDone = false;
    let status = 200;
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    child.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const crlf = head.indexOf('\r\n\r\n');
      const lf = head.indexOf('\n\n');
      const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf : lf;
      if (end < 0) return;
      const sepLen = end === crlf ? 4 : 2;
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, end).toString('latin1').split(/\r?\n/)) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const key = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (key.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 200;
        else headers[key] = value;
      }
      headersDone = true;
      res.writeHead(status, headers);
      const body = head.subarray(end + sepLen);
      if (body.length > 0) res.write(body);
    });
    child.on('error', (err) => {
      if (!res.headersSent) status = plain(res, 500, `git http-backend: ${err.message}\n`);
      else res.end();
      resolve(status);
    });
    child.on('close', (code) => {
      if (!headersDone) {
        status = plain(res, 500, `git http-backend exited ${code}: ${stderr}`);
      } else {
        res.end();
      }
      resolve(status);
    });
    req.pipe(child.stdin);
    child.stdin.on('error', () => undefined);
    req.on('aborted', () => child.kill('SIGTERM'));
  });
}
