// The forge client (src/forge/) against the Gitea-compatible stand-in (testbed/forge/), in
// process on 127.0.0.1: auth, paging past the server's clamp, comments, membership as Gitea
// answers it, statuses, and the retry/timeout/error mapping under injected faults.
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { execa } from 'execa';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CcciError } from '../../../src/model/errors.js';
import { backoffDelay } from '../../../src/forge/backoff.js';
import { createGiteaClient } from '../../../src/forge/gitea/client.js';
import type { ForgeClientOptions } from '../../../src/forge/types.js';
import { startForge, type Forge } from '../../../testbed/forge/main.js';

const REPO = 'coop-cloud/custom-html';
const PAGING = 'coop-cloud/paging';
const NOTES = 'coop-cloud/notes';
let forge: Forge;
let tokens: Record<string, string>;
let lines: string[];

beforeAll(async () => {
  forge = await startForge({ seed: 'demo' });
  tokens = forge.control.tokens();
});

afterAll(async () => {
  await forge?.close();
});

beforeEach(() => {
  lines = [];
  forge.control.clearFault();
  forge.control.clearRequests();
});

/** A client as a demo user; backoff sleeps are instant unless a test injects its own. */
function client(as = 'cc-ci-bot', o: Partial<ForgeClientOptions> = {}) {
  return createGiteaClient({
    url: forge.url,
    token: tokens[as] ?? as,
    sleep: async () => {},
    log: (l) => lines.push(l),
    ...o,
  });
}

async function failure(p: Promise<unknown>): Promise<CcciError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CcciError);
  return err as CcciError;
}

const apiRequests = (prefix: string) =>
  forge.control.requests({ kind: 'api' }).filter((r) => r.path.startsWith(prefix));

describe('authentication', () => {
  const authHeaders =
    'sends `Authorization: token …`, accept and user-agent, never the token in the URL, and no redirects followed';
  it(authHeaders, async () => {
    const seen: { url: string; init: RequestInit }[] = [];
    const spy: typeof fetch = (input, init) => {
      seen.push({ url: String(input), init: init ?? {} });
      return fetch(input, init);
    };
    const me = await client('cc-ci-bot', { fetch: spy }).whoAmI();
    expect(me.login).toBe('cc-ci-bot');
    expect(seen).toHaveLength(1);
    const headers = new Headers(seen[0]?.init.headers);
    expect(headers.get('authorization')).toBe(`token ${tokens['cc-ci-bot']}`);
    expect(headers.get('accept')).toBe('application/json');
    expect(headers.get('user-agent')).toBe('cc-ci');
    expect(seen[0]?.init.redirect).toBe('manual');
    expect(seen[0]?.url).toBe(`${forge.url}/api/v1/user`);
    const [logged] = apiRequests('/api/v1/user');
    expect(logged).toMatchObject({ status: 200, user: 'cc-ci-bot' });
    expect(logged?.path).not.toMatch(/token/);
  });

  it('a rejected token is FORGE_REFUSED with Gitea’s message and the tokenFile hint, asked once', async () => {
    const err = await failure(client('0123456789abcdef0123456789abcdef01234567').whoAmI());
    expect(err.code).toBe('FORGE_REFUSED');
    expect(err.message).toContain('GET /api/v1/user');
    expect(err.message).toContain('401 Unauthorized');
    expect(err.message).toContain('user does not exist');
    expect(err.message).toContain('forge.tokenFile');
    expect(apiRequests('/api/v1/user')).toHaveLength(1);
  });

  it('refuses a missing token or a URL with credentials before any request', () => {
    expect(() => createGiteaClient({ url: forge.url, token: '' })).toThrow(/forge.tokenFile/);
    expect(() => createGiteaClient({ url: forge.url.replace('//', '//u:p@'), token: 'f'.repeat(40) })).toThrow(
      /credentials/,
    );
  });
});

describe('pull requests', () => {
  let numbers: number[];

  beforeAll(async () => {
    await forge.control.importFixture('custom-html', { owner: 'coop-cloud', name: 'paging' });
    const sha = await forge.control.commitOnBranch(PAGING, 'feature', { 'marker.txt': 'feature\n' }, 'a change');
    const { dir } = await forge.control.handle(PAGING);
    const input = Array.from({ length: 61 }, (_, i) => `create refs/heads/many-${i} ${sha}`).join('\n') + '\n';
    await execa('git', ['--git-dir', dir, 'update-ref', '--stdin'], { input });
    numbers = await forge.control.createPullRequests({
      repo: PAGING,
      author: 'maintainer',
      pulls: Array.from({ length: 61 }, (_, i) => ({ head: `many-${i}`, title: `PR ${i}` })),
    });
    // One closed PR: an open-PR list must not have it.
    forge.control.setIssueState(PAGING, numbers[60]!, 'closed');
  });

  it('lists every open PR across pages (61 made, one closed), following Link', async () => {
    const pulls = await client().listOpenPulls(PAGING);
    expect(pulls.map((p) => p.number).sort((a, b) => a! - b!)).toEqual(numbers.slice(0, 60));
    expect(pulls.every((p) => p.state === 'open')).toBe(true);
    const pages = apiRequests(`/api/v1/repos/${PAGING}/pulls?`);
    expect(pages.map((r) => new URL(r.path, forge.url).searchParams.get('page'))).toEqual(['1', '2']);
    expect(pages.every((r) => /limit=50/.test(r.path) && /state=open/.test(r.path))).toBe(true);
  });

  it('does not assume its limit was honoured: a forge that clamps to 20 still gives all 60', async () => {
    // Stand in for MAX_RESPONSE_ITEMS=20: the forge clamps whatever limit it is asked for.
    const clamp20: typeof fetch = (input, init) => fetch(String(input).replace('limit=50', 'limit=20'), init);
    const pulls = await client('cc-ci-bot', { fetch: clamp20 }).listOpenPulls(PAGING);
    expect(new Set(pulls.map((p) => p.number)).size).toBe(60);
    expect(apiRequests(`/api/v1/repos/${PAGING}/pulls?`)).toHaveLength(3);
  });

  it('gets one PR with its head sha', async () => {
    const pr = await client().getPull(REPO, 1);
    expect(pr.number).toBe(1);
    expect(pr.head?.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(pr.head?.ref).toBe('pr-1');
  });

  it('a 404 is FORGE_REFUSED at once, never retried', async () => {
    const err = await failure(client().getPull(REPO, 9999));
    expect(err.code).toBe('FORGE_REFUSED');
    expect(err.message).toMatch(/GET \/api\/v1\/repos\/coop-cloud\/custom-html\/pulls\/9999: .*404 Not Found/);
    expect(apiRequests(`/api/v1/repos/${REPO}/pulls/9999`)).toHaveLength(1);
    expect(lines).toEqual([]);
  });

  it('refuses a malformed repository or number without asking the forge', async () => {
    expect(() => client().cloneUrl('coop-cloud/../x')).toThrow(/repository name/);
    await expect(client().getPull('a/..', 1)).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    await expect(client().getPull(REPO, 0)).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    expect(forge.control.requests({ kind: 'api' })).toHaveLength(0);
  });

  it('gives the clone URL', () => {
    expect(client().cloneUrl(REPO)).toBe(`${forge.url}/coop-cloud/custom-html.git`);
    expect(createGiteaClient({ url: `${forge.url}/`, token: 'f'.repeat(40) }).cloneUrl(REPO)).toBe(
      `${forge.url}/coop-cloud/custom-html.git`,
    );
  });
});

describe('comments', () => {
  let issue: number;

  beforeAll(async () => {
    await forge.control.importFixture('custom-html', { owner: 'coop-cloud', name: 'notes' });
    issue = forge.control.createIssue({ repo: NOTES, title: 'notes', author: 'maintainer' }).number!;
  });

  it('listComments: all, or those *updated* since a time (an edit brings an old one back)', async () => {
    const first = forge.control.comment({ repo: NOTES, index: issue, author: 'maintainer', body: 'first' });
    forge.control.advanceClock(10_000);
    const second = forge.control.comment({ repo: NOTES, index: issue, author: 'maintainer', body: 'second' });
    const c = client();
    expect((await c.listComments(NOTES, issue)).map((x) => x.body)).toEqual(['first', 'second']);
    expect((await c.listComments(NOTES, issue, { since: second.created_at ?? undefined })).map((x) => x.id)).toEqual([
      second.id,
    ]);

    forge.control.advanceClock(10_000);
    const edited = forge.control.editComment({
      repo: NOTES,
      id: first.id!,
      author: 'maintainer',
      body: 'first, edited',
    });
    expect((await c.listComments(NOTES, issue, { since: edited.updated_at ?? undefined })).map((x) => x.body)).toEqual([
      'first, edited',
    ]);
    expect(apiRequests(`/api/v1/repos/${NOTES}/issues/${issue}/comments`).every((r) => !/page=/.test(r.path))).toBe(
      true,
    );
  });

  it('listRepoComments pages through the whole repository (X-Total-Count, no Link) and filters by since', async () => {
    const before = (await client().listRepoComments(NOTES)).length;
    forge.control.advanceClock(10_000);
    const made = Array.from({ length: 55 }, (_, i) =>
      forge.control.comment({ repo: NOTES, index: issue, author: 'outsider', body: `bulk ${i}` }),
    );
    forge.control.clearRequests();
    const all = await client().listRepoComments(NOTES);
    expect(all).toHaveLength(before + 55);
    expect(new Set(all.map((x) => x.id)).size).toBe(all.length);
    expect(
      apiRequests(`/api/v1/repos/${NOTES}/issues/comments?`).map((r) =>
        new URL(r.path, forge.url).searchParams.get('page'),
      ),
    ).toEqual(['1', '2']);
    const recent = await client().listRepoComments(NOTES, { since: made[0]!.created_at ?? undefined });
    expect(recent.map((x) => x.body)).toEqual(made.map((x) => x.body));
  });

  it('creates, edits and reads back a comment as the bot', async () => {
    const c = client();
    const made = await c.createComment(REPO, 1, 'cc-ci: queued <run>');
    expect(made).toMatchObject({ body: 'cc-ci: queued <run>', user: { login: 'cc-ci-bot' } });
    expect(apiRequests(`/api/v1/repos/${REPO}/issues/1/comments`)).toMatchObject([{ method: 'POST', status: 201 }]);
    const edited = await c.editComment(REPO, made.id!, 'cc-ci: passed');
    expect(edited).toMatchObject({ id: made.id, body: 'cc-ci: passed' });
    expect((await c.getComment(REPO, made.id!)).body).toBe('cc-ci: passed');
    expect((await c.listComments(REPO, 1)).some((x) => x.id === made.id)).toBe(true);
  });
});

describe('pushes to a pull request', () => {
  it('reads the pull_push events of the timeline: their time, commits and force flag, since a time', async () => {
    await forge.control.commitOnBranch(REPO, 'pushes-1', { 'marker.txt': '1\n' }, 'one');
    const pull = await forge.control.createPullRequest({
      repo: REPO,
      head: 'pushes-1',
      title: 'p',
      author: 'maintainer',
    });
    const comment = forge.control.comment({ repo: REPO, index: pull.number!, author: 'maintainer', body: 'hi' });
    expect(await client().listPrPushes(REPO, pull.number!)).toEqual([]);
    forge.control.advanceClock(2000);
    const two = await forge.control.commitOnBranch(REPO, 'pushes-1', { 'marker.txt': '2\n' }, 'two');
    const pushes = await client().listPrPushes(REPO, pull.number!, { since: comment.created_at! });
    expect(pushes).toEqual([{ at: expect.any(String), commits: [two], force: false }]);
    expect(Date.parse(pushes[0]!.at)).toBeGreaterThanOrEqual(Date.parse(comment.created_at!) + 2000);
    expect(apiRequests(`/api/v1/repos/${REPO}/issues/${pull.number}/timeline`).length).toBe(2);
    expect(
      await client().listPrPushes(REPO, pull.number!, {
        since: new Date(Date.parse(pushes[0]!.at) + 1000).toISOString(),
      }),
    ).toEqual([]);
  });
});

describe('org membership', () => {
  it('true / false when the bot is a member (204 / 404)', async () => {
    const c = client();
    expect(await c.isOrgMember('coop-cloud', 'maintainer')).toBe(true);
    expect(await c.isOrgMember('coop-cloud', 'outsider')).toBe(false);
    expect(lines).toEqual([]);
  });

  it("'unknown' on 303 when the asker is not a member, without following the redirect; logged once", async () => {
    const c = client('outsider');
    expect(await c.isOrgMember('coop-cloud', 'maintainer')).toBe('unknown');
    expect(await c.isOrgMember('coop-cloud', 'cc-ci-bot')).toBe('unknown');
    expect(forge.control.requests({ kind: 'api' }).map((r) => [r.path, r.status])).toEqual([
      ['/api/v1/orgs/coop-cloud/members/maintainer', 303],
      ['/api/v1/orgs/coop-cloud/members/cc-ci-bot', 303],
    ]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/not a member of the org coop-cloud/);
  });
});

describe('commit statuses', () => {
  it('sends `state` and reads `status` back', async () => {
    const c = client();
    const sha = (await c.getPull(REPO, 1)).head!.sha!;
    const st = await c.setStatus(REPO, sha, {
      state: 'success',
      context: 'cc-ci/recipe',
      description: 'level 3',
      targetUrl: 'http://127.0.0.1:8080/runs/r1',
    });
    expect(st).toMatchObject({
      status: 'success',
      context: 'cc-ci/recipe',
      description: 'level 3',
      target_url: 'http://127.0.0.1:8080/runs/r1',
    });
    expect(st.creator?.login).toBe('cc-ci-bot');
  });

  it('a 403 (no write access) is FORGE_REFUSED with the rights hint', async () => {
    const sha = (await client().getPull(REPO, 1)).head!.sha!;
    const err = await failure(client('outsider').setStatus(REPO, sha, { state: 'pending', context: 'cc-ci/recipe' }));
    expect(err.code).toBe('FORGE_REFUSED');
    expect(err.message).toContain('403 Forbidden');
    expect(err.message).toContain('lacks rights on the repository');
  });
});

describe('issues', () => {
  it('creates an issue, edits its title and body, reads it back, and closes it', async () => {
    const bot = client();
    const created = await bot.createIssue(REPO, { title: 'cc-ci: custom-html dropped', body: 'first body' });
    expect(created).toMatchObject({ title: 'cc-ci: custom-html dropped', body: 'first body', state: 'open' });
    expect(created.user?.login).toBe('cc-ci-bot');
    const n = created.number!;
    const edited = await bot.editIssue(REPO, n, { title: 'cc-ci: custom-html dropped again', body: 'second' });
    expect(edited).toMatchObject({ number: n, title: 'cc-ci: custom-html dropped again', body: 'second' });
    // Only what is given changes (EditIssueOption).
    expect(await bot.editIssue(REPO, n, { body: 'third' })).toMatchObject({ title: edited.title, body: 'third' });
    expect(await bot.editIssue(REPO, n, { state: 'closed' })).toMatchObject({ state: 'closed', body: 'third' });
    expect((await bot.getIssue(REPO, n)).state).toBe('closed');
    const calls = apiRequests(`/api/v1/repos/${REPO}/issues`).map((r) => [r.method, r.status]);
    expect(calls).toEqual([
      ['POST', 201],
      ['PATCH', 201],
      ['PATCH', 201],
      ['PATCH', 201],
      ['GET', 200],
    ]);
  });

  it('an issue of someone else may be edited only by a writer: an outsider is refused', async () => {
    const issue = await client().createIssue(REPO, { title: 'by the bot', body: '' });
    const err = await failure(client('outsider').editIssue(REPO, issue.number!, { state: 'closed' }));
    expect(err.code).toBe('FORGE_REFUSED');
    expect((await client().getIssue(REPO, issue.number!)).state).toBe('open');
  });

  it('a title is required', async () => {
    const err = await failure(client().createIssue(REPO, { title: '', body: 'no title' }));
    expect(err.code).toBe('FORGE_REFUSED');
    expect(err.message).toContain('422');
  });
});

describe('retries, timeouts and errors', () => {
  it('retries through a short 500 window and then succeeds, with full-jitter backoff', async () => {
    const delays: number[] = [];
    const sleep = (ms: number) => {
      delays.push(ms);
      return new Promise<void>((r) => setTimeout(r, 150));
    };
    forge.control.fault({ mode: '500', forMs: 250 });
    const pr = await client('cc-ci-bot', { sleep }).getPull(REPO, 1);
    expect(pr.number).toBe(1);
    const statuses = apiRequests(`/api/v1/repos/${REPO}/pulls/1`).map((r) => r.status);
    expect(statuses.at(-1)).toBe(200);
    expect(statuses.slice(0, -1).length).toBeGreaterThanOrEqual(1);
    expect(statuses.slice(0, -1).every((s) => s === 500)).toBe(true);
    expect(delays).toHaveLength(statuses.length - 1);
    delays.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(500 * 2 ** i);
    });
    expect(lines[0]).toMatch(
      /GET \/api\/v1\/repos\/coop-cloud\/custom-html\/pulls\/1: answered 500 Internal Server Error; retry 1 of 4/,
    );
  });

  it('500 for longer than every retry: FORGE_UNREACHABLE after N tries', async () => {
    forge.control.fault({ mode: '500', forMs: 60_000 });
    const err = await failure(client('cc-ci-bot', { retries: 2 }).getPull(REPO, 1));
    expect(err.code).toBe('FORGE_UNREACHABLE');
    expect(err.message).toBe(
      'GET /api/v1/repos/coop-cloud/custom-html/pulls/1: answered 500 Internal Server Error; ' +
        `the forge at ${forge.url} did not answer after 3 tries`,
    );
    expect(apiRequests(`/api/v1/repos/${REPO}/pulls/1`).map((r) => r.status)).toEqual([500, 500, 500]);
  });

  it('a hanging forge: each try times out, the retry after the window succeeds', async () => {
    forge.control.fault({ mode: 'hang', forMs: 600 });
    const started = Date.now();
    const me = await client('cc-ci-bot', { timeoutMs: 250 }).whoAmI();
    expect(me.login).toBe('cc-ci-bot');
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.every((l) => l.includes('GET /api/v1/user: no answer within 250 ms; retry'))).toBe(true);
  });

  it('a connection refused is retried, then FORGE_UNREACHABLE', async () => {
    const port = await closedPort();
    const err = await failure(
      createGiteaClient({
        url: `http://127.0.0.1:${port}`,
        token: 'f'.repeat(40),
        retries: 1,
        sleep: async () => {},
      }).whoAmI(),
    );
    expect(err.code).toBe('FORGE_UNREACHABLE');
    expect(err.message).toBe(
      'GET /api/v1/user: connection failed (ECONNREFUSED); ' +
        `the forge at http://127.0.0.1:${port} did not answer after 2 tries`,
    );
  });

  it('never puts the token in an error message or a log line, even if the forge echoes it', async () => {
    const token = 'c0ffee' + 'ab'.repeat(17);
    const messages: string[] = [];
    const logged: string[] = [];
    const make = (o: Partial<ForgeClientOptions> = {}) =>
      createGiteaClient({
        url: forge.url,
        token,
        retries: 1,
        timeoutMs: 200,
        sleep: async () => {},
        log: (l) => logged.push(l),
        ...o,
      });
    const collect = async (p: Promise<unknown>) => {
      const err = await failure(p);
      messages.push(err.message, String(err.cause ?? ''));
    };
    await collect(make().whoAmI()); // 401
    forge.control.fault({ mode: '500', forMs: 60_000 });
    await collect(make().getPull(REPO, 1));
    forge.control.fault({ mode: 'hang', forMs: 1_000 });
    await collect(make().getPull(REPO, 1));
    forge.control.clearFault();
    await collect(make({ url: `http://127.0.0.1:${await closedPort()}` }).whoAmI());
    const echo: typeof fetch = async () =>
      new Response(JSON.stringify({ message: `token ${token} is not allowed here` }), { status: 403 });
    await collect(make({ fetch: echo }).whoAmI());
    expect(messages.at(-2)).toContain('token [token] is not allowed here');
    expect(logged.length).toBeGreaterThan(0);
    for (const text of [...messages, ...logged]) expect(text).not.toContain(token);
  });
});

describe('backoff', () => {
  it('is full jitter: uniform below min(30 s, 500 ms · 2^k)', () => {
    const top = () => 0.999_999;
    expect(backoffDelay(0, top)).toBe(499);
    expect(backoffDelay(3, top)).toBe(3999);
    expect(backoffDelay(10, top)).toBe(29_999);
    expect(backoffDelay(10, () => 0)).toBe(0);
  });
});

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
