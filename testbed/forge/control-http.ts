// The control surface over HTTP under /_testbed/ (not part of Gitea's API), for the demo and
// for tests in another process. JSON in, JSON out; errors are {"error": "..."} with a status.
// Each route calls the same ForgeControl method the TypeScript API offers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from './body.js';
import type { ForgeControl, NewMember } from './control.js';
import type { FaultMode } from './faults.js';
import { matchPath } from './path-match.js';
import { ForgeError } from './pulls.js';
import type { NewHook } from './routes/hooks.js';
import type { LoggedRequest } from './request-log.js';

type Json = Record<string, unknown>;
type ControlHandler = (
  c: ForgeControl,
  p: Record<string, string>,
  body: Json,
  query: URLSearchParams,
) => Promise<[number, unknown]> | [number, unknown];

const s = (v: unknown): string => (typeof v === 'string' ? v : '');
const n = (v: string | undefined): number => Number(v ?? NaN);
const fullName = (p: Record<string, string>): string => `${p.owner ?? ''}/${p.repo ?? ''}`;

const table: [string, string, ControlHandler][] = [
  ['GET', '/_testbed/state', (c) => [200, { url: c.url, tokens: c.tokens(), repos: c.repos() }]],
  [
    'POST',
    '/_testbed/users',
    (c, _p, b) => [
      201,
      c.createUser({
        login: s(b.login),
        fullName: s(b.fullName),
        email: s(b.email) || undefined,
        admin: b.admin === true,
        token: s(b.token) || undefined,
      }),
    ],
  ],
  [
    'POST',
    '/_testbed/orgs',
    (c, _p, b) => [
      201,
      c.createOrg({
        name: s(b.name),
        fullName: s(b.fullName),
        members: (Array.isArray(b.members) ? b.members : []) as NewMember[],
      }),
    ],
  ],
  [
    'PUT',
    '/_testbed/orgs/:org/members/:login',
    (c, p, b) => {
      c.setOrgMember(p.org ?? '', {
        login: p.login ?? '',
        public: b.public === true,
        role: (s(b.role) || undefined) as NewMember['role'],
      });
      return [204, null];
    },
  ],
  [
    'DELETE',
    '/_testbed/orgs/:org/members/:login',
    (c, p) => {
      c.removeOrgMember(p.org ?? '', p.login ?? '');
      return [204, null];
    },
  ],
  [
    'POST',
    '/_testbed/repos',
    async (c, _p, b) => {
      const opts = {
        owner: s(b.owner),
        name: s(b.name) || undefined,
        private: b.private === true,
        description: s(b.description),
      };
      if (s(b.fixture)) return [201, await c.importFixture(s(b.fixture), opts)];
      if (s(b.from)) return [201, await c.importRepo(s(b.from), opts)];
      throw new ForgeError(422, 'give "fixture" (a fixture name) or "from" (a local bare repository)');
    },
  ],
  [
    'PATCH',
    '/_testbed/repos/:owner/:repo',
    (c, p, b) => {
      if (typeof b.archived !== 'boolean') throw new ForgeError(422, 'give "archived": true or false');
      c.setArchived(fullName(p), b.archived);
      return [204, null];
    },
  ],
  [
    'PUT',
    '/_testbed/repos/:owner/:repo/collaborators/:login',
    (c, p, b) => {
      c.setCollaborator(fullName(p), p.login ?? '', (s(b.permission) || 'write') as 'read' | 'write' | 'admin');
      return [204, null];
    },
  ],
  [
    'POST',
    '/_testbed/repos/:owner/:repo/commits',
    async (c, p, b) => {
      const files = (b.files ?? {}) as Record<string, string | null>;
      const sha = await c.commitOnBranch(fullName(p), s(b.branch), files, s(b.message) || 'change', {
        bumpConfigVersions: b.bumpConfigVersions !== false,
      });
      return [201, { sha }];
    },
  ],
  [
    'POST',
    '/_testbed/repos/:owner/:repo/pulls',
    async (c, p, b) => [
      201,
      await c.createPullRequest({
        repo: fullName(p),
        head: s(b.head),
        base: s(b.base) || undefined,
        title: s(b.title),
        body: s(b.body),
        author: s(b.author),
      }),
    ],
  ],
  [
    'POST',
    '/_testbed/repos/:owner/:repo/issues',
    (c, p, b) => [201, c.createIssue({ repo: fullName(p), title: s(b.title), body: s(b.body), author: s(b.author) })],
  ],
  ['GET', '/_testbed/repos/:owner/:repo/issues', (c, p) => [200, c.issues(fullName(p))]],
  [
    'PATCH',
    '/_testbed/repos/:owner/:repo/issues/:index',
    (c, p, b) => {
      c.setIssueState(fullName(p), n(p.index), s(b.state) === 'closed' ? 'closed' : 'open');
      return [204, null];
    },
  ],
  [
    'POST',
    '/_testbed/repos/:owner/:repo/issues/:index/comments',
    (c, p, b) => [201, c.comment({ repo: fullName(p), index: n(p.index), author: s(b.author), body: s(b.body) })],
  ],
  [
    'PATCH',
    '/_testbed/repos/:owner/:repo/issues/comments/:id',
    (c, p, b) => [200, c.editComment({ repo: fullName(p), id: n(p.id), author: s(b.author), body: s(b.body) })],
  ],
  [
    'POST',
    '/_testbed/repos/:owner/:repo/hooks',
    (c, p, b) => [201, c.createHook(fullName(p), b as unknown as NewHook)],
  ],
  [
    'POST',
    '/_testbed/fault',
    (c, _p, b) => {
      c.fault({ mode: s(b.mode) as FaultMode, forMs: Number(b.forMs) });
      return [204, null];
    },
  ],
  [
    'DELETE',
    '/_testbed/fault',
    (c) => {
      c.clearFault();
      return [204, null];
    },
  ],
  [
    'GET',
    '/_testbed/requests',
    (c, _p, _b, q) => [200, c.requests({ kind: (q.get('kind') || undefined) as LoggedRequest['kind'] | undefined })],
  ],
  [
    'DELETE',
    '/_testbed/requests',
    (c) => {
      c.clearRequests();
      return [204, null];
    },
  ],
  ['GET', '/_testbed/deliveries', (c) => [200, c.deliveries()]],
  ['POST', '/_testbed/deliveries/flush', async (c) => [200, await c.flushDeliveries()]],
  [
    'POST',
    '/_testbed/clock',
    (c, _p, b) => {
      c.advanceClock(Number(b.advanceMs));
      return [204, null];
    },
  ],
];

function send(res: ServerResponse, status: number, value: unknown): number {
  if (status === 204) {
    res.writeHead(204).end();
  } else {
    const body = JSON.stringify(value) + '\n';
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }).end(body);
  }
  return status;
}

export async function serveControl(
  control: ForgeControl,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<number> {
  for (const [method, pattern, handler] of table) {
    const params = matchPath(pattern, url.pathname);
    if (!params || method !== req.method) continue;
    try {
      const raw = await readBody(req);
      const body = (raw.length > 0 ? JSON.parse(raw.toString('utf8')) : {}) as Json;
      const [status, value] = await handler(control, params, body, url.searchParams);
      return send(res, status, value);
    } catch (err) {
      const status = err instanceof ForgeError ? err.status : 400;
      return send(res, status, { error: err instanceof Error ? err.message : String(err) });
    }
  }
  return send(res, 404, { error: `no control route ${req.method ?? ''} ${url.pathname}` });
}
