// The forge loop against the Gitea-compatible stand-in (testbed/forge/) and a real `cc-ci serve`
// on the testbed: a member's `!testme` starts exactly one run whose reply ends edited to the
// verdict with the card and a status on the tested commit; non-members and bad commands start
// nothing; webhook and poll of one comment start one run; a restart between two comments neither
// duplicates nor misses; a forge outage is survived; bad signatures and big bodies are refused;
// a second `!testme` supersedes the first.
import { createHmac } from 'node:crypto';
import type { Comment, CommitStatus } from 'gitea-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startForge, type Forge } from '../../testbed/forge/server.js';
import { waitFor } from './helpers.js';
import { api, finished, runUntil, serveConfig, startServe, type ApiRun, type ServeInstance } from './serve-helpers.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';

const REPO = 'coop-cloud/custom-html';
const SECRET = 'e2e-webhook-secret-0123456789';
let forge: Forge;
let tokens: Record<string, string>;
let serves: ServeInstance[] = [];

beforeAll(async () => {
  forge = await startForge({ seed: 'demo' });
  tokens = forge.seeded!.tokens;
});

/** Each test's servers stop at its end: two servers polling one forge would each act on a comment. */
async function stopServes(): Promise<void> {
  for (const s of serves) s.process.kill('SIGTERM');
  await Promise.all(serves.map((s) => s.process));
  serves = [];
}

afterEach(stopServes);
afterAll(async () => {
  await stopServes();
  await forge?.close();
});

/** serve with the forge configured: the bot's token, polling every second, and the webhook. */
async function serveWithForge(
  opts: { pollInterval?: string; cfg?: Awaited<ReturnType<typeof serveConfig>> } = {},
): Promise<ServeInstance> {
  const cfg = opts.cfg ?? (await serveConfig({ capacity: 2 }));
  const doc = parse(readFileSync(cfg.file, 'utf8'));
  doc.forge = {
    type: 'gitea',
    url: forge.url,
    org: 'coop-cloud',
    repos: [REPO],
    pollInterval: opts.pollInterval ?? '1s',
    // This file follows !testme runs (push runs: test/e2e/push-runs.test.ts).
    pushRuns: false,
  };
  writeFileSync(cfg.file, stringify(doc));
  const serve = await startServe(cfg, { CCCI_FORGE_TOKEN: tokens['cc-ci-bot']!, CCCI_WEBHOOK_SECRET: SECRET });
  serves.push(serve);
  return serve;
}

async function forgeApi<T>(path: string): Promise<T> {
  const res = await fetch(`${forge.url}/api/v1${path}`, { headers: { authorization: `token ${tokens.maintainer}` } });
  return res.json() as Promise<T>;
}

const comments = (pr: number) => forgeApi<Comment[]>(`/repos/${REPO}/issues/${pr}/comments`);
const botComments = async (pr: number) => (await comments(pr)).filter((c) => c.user?.login === 'cc-ci-bot');
const runsOf = async (serve: ServeInstance) =>
  (await api<{ runs: Array<ApiRun & { pr?: number; sha?: string }> }>(serve.url, '/api/runs')).body.runs;

async function newPr(branch: string, marker: string): Promise<{ pr: number; sha: string }> {
  const sha = await forge.control.commitOnBranch(REPO, branch, { 'marker.txt': `${marker}\n` }, `PR ${branch}`);
  const pull = await forge.control.createPullRequest({ repo: REPO, head: branch, title: branch, author: 'maintainer' });
  return { pr: pull.number!, sha };
}

/**
 * The bot's polls of the repository's comments that the stand-in answered 200, after request
 * `seq` of its request log (each poll's first page; a poll reads one page here).
 */
function answeredPollsAfter(seq: number): number {
  const poll = new RegExp(`^/api/v1/repos/${REPO}/issues/comments(\\?|$)`);
  return forge.control
    .requests({ kind: 'api' })
    .filter(
      (r) =>
        r.seq > seq &&
        r.method === 'GET' &&
        r.user === 'cc-ci-bot' &&
        r.status === 200 &&
        poll.test(r.path) &&
        !/[?&]page=([2-9]|\d\d)/.test(r.path),
    ).length;
}

/**
 * Waits until the bot has made `n` more polls that were answered. Polls run one after another,
 * so once the n-th is answered, the n-1 before it have been handled to the end: every comment
 * they read has started its run or been refused by then.
 */
async function polls(n: number): Promise<void> {
  const mark = forge.control.requests().at(-1)?.seq ?? 0;
  await waitFor(`${n} more polls of the forge`, async () => answeredPollsAfter(mark) >= n || undefined, 30_000);
}

/** The one run of a PR once the serve has picked it up. */
async function theRunOf(serve: ServeInstance, pr: number): Promise<ApiRun & { sha?: string }> {
  return waitFor(`a run for PR #${pr}`, async () => (await runsOf(serve)).find((r) => r.pr === pr), 60_000);
}

describe('the forge loop', () => {
  const memberTestme =
    "a member's !testme starts exactly one run; its reply ends with the verdict and the card, " +
    'and the tested commit gets success';
  it(memberTestme, async () => {
    // Comments that were there before cc-ci started are history: the first poll only marks them.
    const old = forge.control.comment({ repo: REPO, index: 1, author: 'maintainer', body: '!testme' });
    const serve = await serveWithForge();
    // The first poll has marked it and the second has been handled: still no run.
    await polls(3);
    expect(await runsOf(serve)).toEqual([]);
    expect(old.id).toBeGreaterThan(0);

    const { pr, sha } = await newPr('pr-pass', 'marker-pass');
    forge.control.comment({
      repo: REPO,
      index: pr,
      author: 'maintainer',
      body: 'Looks good.\n!testme --quick\nthanks',
    });
    const run = await theRunOf(serve, pr);
    // Pinned from the start to the head the comment saw (the run clones by the PR's ref).
    expect(run).toMatchObject({ ref: `refs/pull/${pr}/head`, sha });
    // Within seconds: a reply with the run link, and a pending status.
    const reply = await waitFor('the reply', async () => (await botComments(pr))[0], 30_000);
    expect(reply.body).toContain(`${serve.url}/runs/${run.id}`);
    // The bridge posts the reply, then the status: wait for the status rather than race it.
    await waitFor(
      'a pending status on the head',
      async () => {
        const statuses = await forgeApi<CommitStatus[]>(`/repos/${REPO}/statuses/${sha}`);
        return (
          statuses.some(
            (s) => s.context === 'cc-ci' && s.status === 'pending' && s.target_url === `${serve.url}/runs/${run.id}`,
          ) || undefined
        );
      },
      30_000,
    );

    const ended = await runUntil(serve.url, run.id, finished);
    expect(ended).toMatchObject({ state: 'passed', verdict: 'pass' });
    const final = await waitFor(
      'the reply edited to the verdict',
      async () => {
        const c = (await botComments(pr))[0];
        return c?.body?.includes('passed') && c.body.includes('card.png') ? c : undefined;
      },
      30_000,
    );
    expect(await botComments(pr)).toHaveLength(1);
    expect(final.id).toBe(reply.id);
    expect(final.body).toMatch(/level \*\*L1\*\*/);
    expect(final.body).toMatch(/\| install \| ✅ pass/);
    const card = await fetch(`${serve.url}/runs/${run.id}/card.png`);
    expect(card.headers.get('content-type')).toBe('image/png');
    const statuses = await forgeApi<CommitStatus[]>(`/repos/${REPO}/statuses/${sha}`);
    expect(statuses[0]).toMatchObject({ context: 'cc-ci', status: 'success' });
    expect((await runsOf(serve)).filter((r) => r.pr === pr)).toHaveLength(1);
  });

  it('starts nothing for a non-member, !testmexyz or bad flags; bad flags get the usage reply', async () => {
    const serve = await serveWithForge();
    const { pr } = await newPr('pr-noop', 'marker-noop');
    // Comments are requests only once the first poll has marked the history.
    await polls(2);
    forge.control.comment({ repo: REPO, index: pr, author: 'outsider', body: '!testme' });
    forge.control.comment({ repo: REPO, index: pr, author: 'outsider', body: '!testmexyz' });
    forge.control.comment({ repo: REPO, index: pr, author: 'maintainer', body: '!testme --stages install,teleport' });
    const usage = await waitFor(
      'the usage reply',
      async () => (await botComments(pr)).find((c) => c.body?.includes('teleport')),
      30_000,
    );
    expect(usage.body).toMatch(/!testme/);
    // Several polls later, nothing more came of any of the three.
    await polls(3);
    expect((await runsOf(serve)).filter((r) => r.pr === pr)).toEqual([]);
    // The outsider got no reply at all.
    expect(await botComments(pr)).toHaveLength(1);
  });

  const webhookAndPoller =
    'one comment seen by the webhook and the poller starts one run; bad signatures and big bodies change nothing';
  it(webhookAndPoller, async () => {
    const serve = await serveWithForge();
    forge.control.createHook(REPO, {
      type: 'gitea',
      config: { url: `${serve.url}/hook`, content_type: 'json', secret: SECRET },
      events: ['issue_comment', 'pull_request_comment'],
      active: true,
    });
    const { pr } = await newPr('pr-hook', 'marker-hook');
    await polls(2);
    const comment = forge.control.comment({ repo: REPO, index: pr, author: 'maintainer', body: '!testme --quick' });
    const deliveries = await forge.control.flushDeliveries();
    expect(deliveries.some((d) => d.status === 202)).toBe(true);
    const run = await theRunOf(serve, pr);
    await polls(3); // several polls later, the poller has read the comment too
    expect((await runsOf(serve)).filter((r) => r.pr === pr)).toHaveLength(1);

    const body = JSON.stringify({ action: 'created', comment: { ...comment, id: comment.id! + 1000 }, is_pull: true });
    const bad = await fetch(`${serve.url}/hook`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-gitea-event': 'issue_comment',
        'x-gitea-signature': createHmac('sha256', 'wrong').update(body).digest('hex'),
      },
      body,
    });
    expect(bad.status).toBe(401);
    const big = 'x'.repeat(600 * 1024);
    const tooBig = await fetch(`${serve.url}/hook`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-gitea-event': 'issue_comment',
        'x-gitea-signature': createHmac('sha256', SECRET).update(big).digest('hex'),
      },
      body: big,
    });
    expect(tooBig.status).toBe(413);
    expect((await runsOf(serve)).filter((r) => r.pr === pr)).toHaveLength(1);
    await runUntil(serve.url, run.id, finished);
  });

  it('a second !testme supersedes the first, and both replies say what happened', async () => {
    const serve = await serveWithForge();
    const { pr } = await newPr('pr-twice', 'marker-twice');
    await polls(2);
    forge.control.comment({ repo: REPO, index: pr, author: 'maintainer', body: '!testme --quick' });
    const first = await theRunOf(serve, pr);
    await runUntil(serve.url, first.id, (r) => r.state === 'running');
    forge.control.comment({ repo: REPO, index: pr, author: 'maintainer', body: '!testme --quick' });
    const firstEnd = await runUntil(serve.url, first.id, finished);
    expect(firstEnd.state).toBe('superseded');
    const second = firstEnd.supersededBy!;
    await runUntil(serve.url, second, finished);
    const replies = await waitFor(
      'both replies final',
      async () => {
        const bot = await botComments(pr);
        return bot.length === 2 &&
          bot.some((c) => c.body?.includes('superseded')) &&
          bot.some((c) => c.body?.includes('passed'))
          ? bot
          : undefined;
      },
      60_000,
    );
    const superseded = replies.find((c) => c.body?.includes('superseded'))!;
    expect(superseded.body).toContain(`${serve.url}/runs/${second}`);
  });

  const forgeFailures =
    'survives a forge that answers 500 or hangs, and a restart between two comments: each comment starts one run';
  it(forgeFailures, async () => {
    const cfg = await serveConfig({ capacity: 2 });
    let serve = await serveWithForge({ cfg });
    const a = await newPr('pr-outage-a', 'marker-a');
    const b = await newPr('pr-outage-b', 'marker-b');
    await polls(2);
    forge.control.fault({ mode: '500', forMs: 6_000 });
    forge.control.comment({ repo: REPO, index: a.pr, author: 'maintainer', body: '!testme --quick' });
    // The server keeps serving meanwhile.
    expect((await fetch(`${serve.url}/healthz`)).status).toBe(200);
    const runA = await theRunOf(serve, a.pr);
    // Down with cc-ci: a comment written meanwhile is handled once after the restart.
    serve.process.kill('SIGTERM');
    await serve.process;
    forge.control.fault({ mode: 'hang', forMs: 4_000 });
    forge.control.comment({ repo: REPO, index: b.pr, author: 'maintainer', body: '!testme --quick' });
    serve = await serveWithForge({ cfg });
    expect((await fetch(`${serve.url}/healthz`)).status).toBe(200);
    const runB = await theRunOf(serve, b.pr);
    await runUntil(serve.url, runB.id, finished);
    await polls(3);
    const all = await runsOf(serve);
    expect(all.filter((r) => r.pr === a.pr)).toHaveLength(1);
    expect(all.filter((r) => r.pr === b.pr)).toHaveLength(1);
    expect(all.find((r) => r.id === runA.id)).toBeDefined();
  });
});
