// The Gitea-compatible stand-in (testbed/forge): in-process on 127.0.0.1:0 with the demo seed,
// spoken to over real HTTP (fetch, git) the way cc-ci's client will speak to a real Gitea.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Comment, CommitStatus, CombinedStatus, PullRequest, User } from 'gitea-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startForge, type Forge } from '../../../testbed/forge/main.js';

const REPO = 'coop-cloud/custom-html';
let forge: Forge;
let tokens: Record<string, string>;
let scratch: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'forge-standin-test-'));
  forge = await startForge({ seed: 'demo' });
  forge.control.createUser({ login: 'site-admin', admin: true });
  tokens = forge.control.tokens();
});

afterAll(async () => {
  await forge?.close();
  rmSync(scratch, { recursive: true, force: true });
});

function api(
  path: string,
  opts: {
    as?: string;
    method?: string;
    body?: unknown;
    headers?: Record<string, string>;
    redirect?: 'follow' | 'manual';
    signal?: AbortSignal;
  } = {},
) {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.as) headers.authorization = `token ${tokens[opts.as]}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${forge.url}/api/v1${path}`, {
    method: opts.method ?? 'GET',
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    redirect: opts.redirect ?? 'manual',
    signal: opts.signal,
  });
}

const git = (args: string[], cwd?: string) =>
  execa('git', args, {
    cwd,
    env: { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' },
  });

describe('authentication', () => {
  it('answers 401 JSON without a token where one is required, and for any invalid token', async () => {
    const none = await api('/user');
    expect(none.status).toBe(401);
    expect(none.headers.get('content-type')).toBe('application/json;charset=utf-8');
    expect(await none.json()).toEqual({ message: 'token is required', url: `${forge.url}/api/swagger` });

    const bad = await api('/version', { headers: { authorization: 'token 0000000000000000000000000000000000000000' } });
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as { message: string }).message).toBe('user does not exist [uid: 0, name: ]');
  });

  it('accepts `token X` and `Bearer X` and returns the token user with login and username', async () => {
    for (const scheme of ['token', 'Bearer', 'bearer']) {
      const res = await api('/user', { headers: { authorization: `${scheme} ${tokens['cc-ci-bot']}` } });
      expect(res.status).toBe(200);
      const user = (await res.json()) as User & { username: string };
      expect(user.login).toBe('cc-ci-bot');
      expect(user.username).toBe('cc-ci-bot');
    }
    // "token" is matched case-sensitively: `Token X` is no token at all.
    expect((await api('/user', { headers: { authorization: `Token ${tokens['cc-ci-bot']}` } })).status).toBe(401);
  });

  it('lets anonymous callers read a public repository, and 404s unknown ones with Gitea’s body', async () => {
    expect((await api(`/repos/${REPO}`)).status).toBe(200);
    const missing = await api('/repos/coop-cloud/nope', { as: 'maintainer' });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      message: "The target couldn't be found.",
      url: `${forge.url}/api/swagger`,
      errors: null,
    });
  });
});

describe('pull requests and pagination', () => {
  beforeAll(async () => {
    const { dir } = await forge.control.handle(REPO);
    const pr1 = (await forge.control.pullRequest(REPO, 1)).head?.sha ?? '';
    const lines = Array.from({ length: 59 }, (_, i) => `create refs/heads/many-${i} ${pr1}`).join('\n') + '\n';
    await execa('git', ['--git-dir', dir, 'update-ref', '--stdin'], { input: lines });
    const pulls = Array.from({ length: 59 }, (_, i) => ({ head: `many-${i}`, title: `PR ${i + 2}` }));
    expect(await forge.control.createPullRequests({ repo: REPO, author: 'outsider', pulls })).toHaveLength(59);
  });

  it('clamps limit to 50 and sends Link and X-Total-Count', async () => {
    const res = await api(`/repos/${REPO}/pulls?state=open&limit=100`, { as: 'cc-ci-bot' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as PullRequest[]).length).toBe(50);
    expect(res.headers.get('x-total-count')).toBe('60');
    const base = `${forge.url}/api/v1/repos/${REPO}/pulls`;
    expect(res.headers.get('link')).toBe(
      `<${base}?limit=100&page=2&state=open>; rel="next",<${base}?limit=100&page=2&state=open>; rel="last"`,
    );

    const page2 = await api(`/repos/${REPO}/pulls?state=open&limit=100&page=2`, { as: 'cc-ci-bot' });
    expect(((await page2.json()) as PullRequest[]).length).toBe(10);
    expect(page2.headers.get('link')).toBe(
      `<${base}?limit=100&page=1&state=open>; rel="first",<${base}?limit=100&page=1&state=open>; rel="prev"`,
    );
  });

  it('uses 30 without a limit, lists newest first, and filters only on open/closed', async () => {
    const res = await api(`/repos/${REPO}/pulls`, { as: 'cc-ci-bot' });
    const prs = (await res.json()) as PullRequest[];
    expect(prs.length).toBe(30);
    expect(prs[0]?.number).toBe(60);
    forge.control.setIssueState(REPO, 60, 'closed');
    try {
      const open = await api(`/repos/${REPO}/pulls?state=open&limit=1`, { as: 'cc-ci-bot' });
      expect(open.headers.get('x-total-count')).toBe('59');
      // No state (or "all") lists closed ones too, whatever the swagger's "default: open" says.
      const all = await api(`/repos/${REPO}/pulls?limit=1`, { as: 'cc-ci-bot' });
      expect(all.headers.get('x-total-count')).toBe('60');
    } finally {
      forge.control.setIssueState(REPO, 60, 'open');
    }
  });

  it('gives head.sha, head.ref and the issue’s pull_request meta', async () => {
    const pr = (await (await api(`/repos/${REPO}/pulls/1`, { as: 'cc-ci-bot' })).json()) as PullRequest;
    expect(pr.head?.ref).toBe('pr-1');
    expect(pr.head?.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(pr.base?.ref).toBe('main');
    const issue = (await (await api(`/repos/${REPO}/issues/1`, { as: 'cc-ci-bot' })).json()) as {
      pull_request: { merged: boolean } | null;
    };
    expect(issue.pull_request).toMatchObject({ merged: false, draft: false });
    expect((await api(`/repos/${REPO}/pulls/999`, { as: 'cc-ci-bot' })).status).toBe(404);
  });
});

describe('comments', () => {
  it('filters `since` on the updated time, not the creation time', async () => {
    const a = forge.control.comment({ repo: REPO, index: 1, author: 'maintainer', body: 'first' });
    forge.control.comment({ repo: REPO, index: 1, author: 'maintainer', body: 'second' });
    forge.control.advanceClock(5_000);
    const cut = new Date(Date.parse(a.updated_at ?? '') + 2_000).toISOString();
    forge.control.advanceClock(5_000);
    const edited = await api(`/repos/${REPO}/issues/comments/${a.id}`, {
      as: 'maintainer',
      method: 'PATCH',
      body: { body: 'first, edited' },
    });
    expect(edited.status).toBe(200);
    const after = (await edited.json()) as Comment;
    expect(after.created_at).toBe(a.created_at);
    expect(Date.parse(after.updated_at ?? '')).toBeGreaterThan(Date.parse(a.updated_at ?? ''));

    const res = await api(`/repos/${REPO}/issues/1/comments?since=${encodeURIComponent(cut)}`, { as: 'cc-ci-bot' });
    const listed = (await res.json()) as Comment[];
    expect(listed.map((c) => c.body)).toEqual(['first, edited']);
    expect(res.headers.get('link')).toBeNull();

    const bad = await api(`/repos/${REPO}/issues/1/comments?since=yesterday`, { as: 'cc-ci-bot' });
    expect(bad.status).toBe(422);
  });

  it('creates with 201, and only the author (or a writer) may edit: 403 with no body otherwise', async () => {
    const created = await api(`/repos/${REPO}/issues/1/comments`, {
      as: 'outsider',
      method: 'POST',
      body: { body: 'looks good' },
    });
    expect(created.status).toBe(201);
    const c = (await created.json()) as Comment;
    expect(c.user?.login).toBe('outsider');
    expect(c.pull_request_url).toBe(`${forge.url}/${REPO}/pulls/1`);
    expect(c.issue_url).toBe('');

    const bot = (await (
      await api(`/repos/${REPO}/issues/1/comments`, { as: 'cc-ci-bot', method: 'POST', body: { body: 'queued' } })
    ).json()) as Comment;
    const denied = await api(`/repos/${REPO}/issues/comments/${bot.id}`, {
      as: 'outsider',
      method: 'PATCH',
      body: { body: 'hijacked' },
    });
    expect(denied.status).toBe(403);
    expect(await denied.text()).toBe('');

    const empty = await api(`/repos/${REPO}/issues/1/comments`, { as: 'outsider', method: 'POST', body: { body: '' } });
    expect(empty.status).toBe(422);
    expect(((await empty.json()) as { message: string }).message).toBe('[Body]: Required');
  });

  it('pages the repository-wide list only when `page` is given', async () => {
    for (let i = 0; i < 60; i++) forge.control.comment({ repo: REPO, index: 2, author: 'outsider', body: `c${i}` });
    const unpaged = await api(`/repos/${REPO}/issues/comments?limit=10`, { as: 'cc-ci-bot' });
    const total = Number(unpaged.headers.get('x-total-count'));
    expect(((await unpaged.json()) as Comment[]).length).toBe(total);
    const paged = await api(`/repos/${REPO}/issues/comments?limit=500&page=1`, { as: 'cc-ci-bot' });
    expect(((await paged.json()) as Comment[]).length).toBe(50);
  });
});

describe('org membership', () => {
  it('answers by asker: 204/404 for a member, 303 to public_members for a non-member, 401 anonymous', async () => {
    expect((await api('/orgs/coop-cloud/members/maintainer', { as: 'cc-ci-bot' })).status).toBe(204);
    expect((await api('/orgs/coop-cloud/members/outsider', { as: 'cc-ci-bot' })).status).toBe(404);

    const redirected = await api('/orgs/coop-cloud/members/maintainer', { as: 'outsider' });
    expect(redirected.status).toBe(303);
    expect(redirected.headers.get('location')).toBe('/api/v1/orgs/coop-cloud/public_members/maintainer');
    // Following the redirect turns a private member into a 404.
    expect((await api('/orgs/coop-cloud/members/maintainer', { as: 'outsider', redirect: 'follow' })).status).toBe(404);
    expect((await api('/orgs/coop-cloud/members/outsider', { as: 'outsider' })).status).toBe(404);
    expect((await api('/orgs/coop-cloud/members/maintainer')).status).toBe(401);

    forge.control.setOrgMember('coop-cloud', { login: 'maintainer', public: true });
    try {
      expect((await api('/orgs/coop-cloud/public_members/maintainer')).status).toBe(204);
      expect((await api('/orgs/coop-cloud/members/maintainer', { as: 'outsider', redirect: 'follow' })).status).toBe(
        204,
      );
    } finally {
      forge.control.setOrgMember('coop-cloud', { login: 'maintainer', public: false });
    }
  });
});

describe('commit statuses', () => {
  it('takes `state`, answers `status`, lists with paging headers and combines per context', async () => {
    const sha = (await forge.control.pullRequest(REPO, 1)).head?.sha ?? '';
    const post = (state: string, context: string, as = 'cc-ci-bot') =>
      api(`/repos/${REPO}/statuses/${sha}`, {
        as,
        method: 'POST',
        body: { state, context, description: ` ${state} `, target_url: 'http://ci.test/run/1' },
      });

    const created = await post('pending', 'cc-ci/recipe');
    expect(created.status).toBe(201);
    const status = (await created.json()) as CommitStatus & { state?: unknown };
    expect(status.status).toBe('pending');
    expect(status.state).toBeUndefined();
    expect(status.description).toBe('pending');
    expect(status.creator?.login).toBe('cc-ci-bot');

    expect((await post('running', 'cc-ci/recipe')).status).toBe(422);
    expect((await post('success', 'cc-ci/recipe', 'outsider')).status).toBe(403);
    expect((await post('success', 'cc-ci/recipe')).status).toBe(201);
    expect((await post('failure', 'cc-ci/lint')).status).toBe(201);

    const list = await api(`/repos/${REPO}/statuses/${sha}?limit=2`, { as: 'cc-ci-bot' });
    const statuses = (await list.json()) as CommitStatus[];
    expect(statuses.map((s) => s.status)).toEqual(['failure', 'success']);
    expect(list.headers.get('x-total-count')).toBe('3');
    expect(list.headers.get('link')).toContain('rel="next"');

    const combined = (await (
      await api(`/repos/${REPO}/commits/pr-1/status`, { as: 'cc-ci-bot' })
    ).json()) as CombinedStatus;
    expect(combined.sha).toBe(sha);
    expect(combined.total_count).toBe(2);
    expect(combined.state).toBe('failure');

    const none = (await (
      await api(`/repos/${REPO}/commits/main/status`, { as: 'cc-ci-bot' })
    ).json()) as CombinedStatus;
    expect(none).toMatchObject({ state: '', sha: '', total_count: 0, statuses: null });
  });
});

describe('webhooks', () => {
  let receiver: http.Server;
  let received: Array<{ headers: http.IncomingHttpHeaders; raw: Buffer }>;
  let hookUrl: string;

  beforeAll(async () => {
    received = [];
    receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, raw: Buffer.concat(chunks) });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  });
  afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

  it('needs a repository admin to create a hook, and never echoes the secret', async () => {
    const option = {
      type: 'gitea',
      config: { url: hookUrl, content_type: 'json', secret: 's3cret' },
      events: ['issue_comment', 'pull_request_comment'],
      active: true,
    };
    expect((await api(`/repos/${REPO}/hooks`, { as: 'cc-ci-bot', method: 'POST', body: option })).status).toBe(403);
    const res = await api(`/repos/${REPO}/hooks`, { as: 'site-admin', method: 'POST', body: option });
    expect(res.status).toBe(201);
    const hook = (await res.json()) as { active: boolean; config: Record<string, string>; events: string[] };
    expect(hook.config).toEqual({ url: hookUrl, content_type: 'json' });
    expect(hook.active).toBe(true);
    expect(hook.events).toEqual(['issue_comment', 'pull_request_comment']);
    // `active` omitted is false; `issue_comment` alone does not bring PR comments.
    await api(`/repos/${REPO}/hooks`, { as: 'site-admin', method: 'POST', body: { ...option, active: undefined } });
    await api(`/repos/${REPO}/hooks`, {
      as: 'site-admin',
      method: 'POST',
      body: { ...option, events: ['issue_comment'] },
    });
  });

  it('signs the raw body with HMAC-SHA256 and sends Gitea’s headers and payload', async () => {
    received.length = 0;
    const res = await api(`/repos/${REPO}/issues/1/comments`, {
      as: 'maintainer',
      method: 'POST',
      body: { body: '!testme <quick>' },
    });
    expect(res.status).toBe(201);
    await forge.control.flushDeliveries();
    expect(received.length).toBe(1);
    const { headers, raw } = received[0]!;
    const expected = createHmac('sha256', 's3cret').update(raw).digest('hex');
    const sig = String(headers['x-gitea-signature']);
    expect(sig).toMatch(/^[0-9a-f]{64}$/);
    expect(timingSafeEqual(Buffer.from(sig), Buffer.from(expected))).toBe(true);
    expect(headers['x-hub-signature-256']).toBe(`sha256=${expected}`);
    expect(headers['x-gitea-event']).toBe('issue_comment');
    expect(headers['x-gitea-event-type']).toBe('pull_request_comment');
    expect(headers['x-gitea-delivery']).toMatch(/^[0-9a-f-]{36}$/);
    expect(headers['content-type']).toBe('application/json');
    const text = raw.toString('utf8');
    expect(text).toContain('\n  "action": "created"');
    expect(text).toContain('\\u003cquick\\u003e');
    const payload = JSON.parse(text) as Record<string, unknown> & {
      comment: { body: string };
      issue: { number: number };
    };
    expect(Object.keys(payload)).toEqual(['action', 'issue', 'comment', 'repository', 'sender', 'is_pull']);
    expect(payload.is_pull).toBe(true);
    expect(payload.comment.body).toBe('!testme <quick>');
    expect(payload.issue.number).toBe(1);
    expect(text).not.toContain('"head"');
  });

  const onEdit =
    'sends action "edited" with changes on an edit, and records failed deliveries without failing the call';
  it(onEdit, async () => {
    received.length = 0;
    const c = forge.control.comment({ repo: REPO, index: 1, author: 'maintainer', body: 'v1' });
    forge.control.editComment({ repo: REPO, id: c.id ?? 0, author: 'maintainer', body: 'v2' });
    await forge.control.flushDeliveries();
    const edited = JSON.parse(received[1]!.raw.toString('utf8')) as { action: string; changes: unknown };
    expect(edited.action).toBe('edited');
    expect(edited.changes).toEqual({ body: { from: 'v1' } });

    forge.control.createHook(REPO, {
      type: 'gitea',
      config: { url: 'http://127.0.0.1:9/nothing', content_type: 'json' },
      events: ['pull_request_comment'],
      active: true,
    });
    expect(
      (await api(`/repos/${REPO}/issues/1/comments`, { as: 'maintainer', method: 'POST', body: { body: 'again' } }))
        .status,
    ).toBe(201);
    const deliveries = await forge.control.flushDeliveries();
    const failed = deliveries.filter((d) => d.url === 'http://127.0.0.1:9/nothing');
    expect(failed.length).toBe(1);
    expect(failed[0]?.ok).toBe(false);
    expect(failed[0]?.error).toMatch(/^Delivery: /);
  });
});

describe('git over HTTP', () => {
  it('clones an imported repository, and refs/pull/1/head follows the PR branch', async () => {
    const work = join(scratch, 'clone');
    await git(['clone', '--quiet', `${forge.url}/${REPO}.git`, work]);
    const pr = (await (await api(`/repos/${REPO}/pulls/1`, { as: 'cc-ci-bot' })).json()) as PullRequest;
    await git(['fetch', '--quiet', 'origin', 'refs/pull/1/head'], work);
    expect((await git(['rev-parse', 'FETCH_HEAD'], work)).stdout).toBe(pr.head?.sha);

    const moved = await forge.control.commitOnBranch(REPO, 'pr-1', { 'marker.txt': 'marker-two\n' }, 'second change');
    const after = (await (await api(`/repos/${REPO}/pulls/1`, { as: 'cc-ci-bot' })).json()) as PullRequest;
    expect(after.head?.sha).toBe(moved);
    await git(['fetch', '--quiet', 'origin', 'refs/pull/1/head'], work);
    expect((await git(['rev-parse', 'FETCH_HEAD'], work)).stdout).toBe(moved);
  });

  it('takes a push with a token from a writer only, and the PR follows the pushed branch', async () => {
    const work = join(scratch, 'push');
    await git(['clone', '--quiet', '--branch', 'pr-1', `${forge.url}/${REPO}.git`, work]);
    await git(
      ['-c', 'user.name=m', '-c', 'user.email=m@forge.test', 'commit', '--quiet', '--allow-empty', '-m', 'pushed'],
      work,
    );
    const remote = (who: string) => `${forge.url.replace('://', `://${who}:${tokens[who]}@`)}/${REPO}.git`;
    await expect(git(['push', '--quiet', remote('outsider'), 'pr-1'], work)).rejects.toThrow(/403/);
    await git(['push', '--quiet', remote('maintainer'), 'pr-1'], work);
    const head = (await git(['rev-parse', 'HEAD'], work)).stdout;
    const pr = (await (await api(`/repos/${REPO}/pulls/1`, { as: 'cc-ci-bot' })).json()) as PullRequest;
    expect(pr.head?.sha).toBe(head);
    const lsRemote = (await git(['ls-remote', `${forge.url}/${REPO}.git`, 'refs/pull/1/head'])).stdout;
    expect(lsRemote.split('\t')[0]).toBe(head);
  });
});

describe('the issue timeline', () => {
  interface Item {
    id: number;
    type: string;
    body: string;
    created_at: string;
    updated_at: string;
    user: { login: string };
  }
  const timeline = async (pr: number, query = '') => {
    const res = await api(`/repos/${REPO}/issues/${pr}/timeline${query}`, { as: 'cc-ci-bot' });
    expect(res.status).toBe(200);
    return { items: (await res.json()) as Item[], total: res.headers.get('x-total-count') };
  };

  it('records a pull_push per push, as Gitea does: new commits oldest first, [old, new] when forced', async () => {
    const opened = await forge.control.commitOnBranch(REPO, 'tl-1', { 'marker.txt': 'a\n' }, 'a');
    const pull = await forge.control.createPullRequest({ repo: REPO, head: 'tl-1', title: 'tl', author: 'maintainer' });
    const pr = pull.number!;
    forge.control.comment({ repo: REPO, index: pr, author: 'maintainer', body: '!testme' });
    forge.control.advanceClock(2000);
    const b = await forge.control.commitOnBranch(REPO, 'tl-1', { 'marker.txt': 'b\n' }, 'b');
    const c = await forge.control.commitOnBranch(REPO, 'tl-1', { 'marker.txt': 'c\n' }, 'c');
    // A force push: the branch is moved to a commit that does not descend from the PR's head.
    const elsewhere = await forge.control.commitOnBranch(REPO, 'tl-other', { 'marker.txt': 'x\n' }, 'x');
    const bare = (await forge.control.handle(REPO)).dir;
    await git(['--git-dir', bare, 'update-ref', 'refs/heads/tl-1', elsewhere]);
    await forge.control.pullRequest(REPO, pr);

    const { items, total } = await timeline(pr);
    expect(items.map((i) => i.type)).toEqual(['comment', 'pull_push', 'pull_push', 'pull_push']);
    expect(total).toBe('4');
    const pushes = items.slice(1);
    expect(pushes.map((i) => JSON.parse(i.body))).toEqual([
      { is_force_push: false, commit_ids: [b] },
      { is_force_push: false, commit_ids: [c] },
      { is_force_push: true, commit_ids: [c, elsewhere] },
    ]);
    expect(pushes.every((i) => i.user.login === 'maintainer' && i.created_at === i.updated_at)).toBe(true);
    expect(Date.parse(pushes[0]!.created_at) - Date.parse(items[0]!.created_at)).toBeGreaterThanOrEqual(2000);
    // Comments and events share one id sequence.
    expect(new Set(items.map((i) => i.id)).size).toBe(4);
    expect(opened).not.toBe(b);

    // `since` on the updated time (inclusive): the comment is left out, the pushes stay.
    expect((await timeline(pr, `?since=${pushes[0]!.created_at}`)).items.map((i) => i.type)).toEqual([
      'pull_push',
      'pull_push',
      'pull_push',
    ]);
    // Paged only when `page` is given; X-Total-Count is then the page's length.
    const page = await timeline(pr, '?page=2&limit=3');
    expect(page.items.map((i) => i.id)).toEqual([pushes[2]!.id]);
    expect(page.total).toBe('1');
    const unknown = await api(`/repos/${REPO}/issues/9999/timeline`, { as: 'cc-ci-bot' });
    expect(unknown.status).toBe(500);
  });
});

describe('control surface over HTTP and the process entry', () => {
  it('serves /_testbed/ routes that match the TypeScript API', async () => {
    const post = (path: string, body: unknown) =>
      fetch(`${forge.url}/_testbed${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const created = await post(`/repos/${REPO}/issues/1/comments`, { author: 'outsider', body: 'via control' });
    expect(created.status).toBe(201);
    expect(((await created.json()) as Comment).user?.login).toBe('outsider');
    const state = (await (await fetch(`${forge.url}/_testbed/state`)).json()) as {
      repos: string[];
      tokens: Record<string, string>;
    };
    expect(state.repos).toEqual([REPO]);
    expect(state.tokens['cc-ci-bot']).toBe(tokens['cc-ci-bot']);
    const missing = await post('/repos/nobody/nothing/issues/1/comments', { author: 'outsider', body: 'x' });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'no repository nobody/nothing' });
  });

  it('starts as its own process and prints {url, tokens, repos} when ready', async () => {
    const child = execa(
      'node',
      ['--import', 'tsx', 'testbed/forge/main.ts', '--port', '0', '--data', join(scratch, 'proc'), '--seed', 'demo'],
      { reject: false },
    );
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout?.on('data', (c: Buffer) => {
          out += c.toString('utf8');
          if (out.includes('\n')) resolve(out.split('\n')[0] ?? '');
        });
        void child.then((r) => reject(new Error(`exited ${r.exitCode}: ${String(r.stderr)}`)));
      });
      const ready = JSON.parse(line) as { url: string; tokens: Record<string, string>; repos: string[] };
      expect(ready.repos).toEqual([REPO]);
      expect(Object.keys(ready.tokens).sort()).toEqual(['cc-ci-bot', 'maintainer', 'outsider']);
      const pr = await fetch(`${ready.url}/api/v1/repos/${REPO}/pulls/1`, {
        headers: { authorization: `token ${ready.tokens['cc-ci-bot']}` },
      });
      expect(((await pr.json()) as PullRequest).head?.ref).toBe('pr-1');
    } finally {
      child.kill('SIGTERM');
      await child;
    }
  });
});

describe('faults and the request log', () => {
  it('answers 500 during a "500" fault, keeps git working, then recovers', async () => {
    forge.control.fault({ mode: '500', forMs: 400 });
    const res = await api('/version');
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ message: '', url: `${forge.url}/api/swagger` });
    await git(['ls-remote', `${forge.url}/${REPO}.git`]);
    await new Promise((r) => setTimeout(r, 450));
    expect((await api('/version')).status).toBe(200);
  });

  it('hangs during a "hang" fault (the client times out), then recovers', async () => {
    forge.control.fault({ mode: 'hang', forMs: 600 });
    await expect(api('/version', { signal: AbortSignal.timeout(200) })).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 500));
    expect((await api('/version')).status).toBe(200);
  });

  it('logs method, path, status and the authenticated user', async () => {
    forge.control.clearRequests();
    await api('/user', { as: 'maintainer' });
    await api('/user');
    const log = forge.control.requests({ kind: 'api' });
    expect(log.map((e) => [e.method, e.path, e.status, e.user])).toEqual([
      ['GET', '/api/v1/user', 200, 'maintainer'],
      ['GET', '/api/v1/user', 401, null],
    ]);
  });
});
