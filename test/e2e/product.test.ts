// The product end to end, as its users meet it: a maintainer's `!testme` on a pull request of the
// stand-in forge starts a real testbed run of `cc-ci serve`, whose reply and commit status end with
// the verdict; the dashboard in real Chromium shows it (overview, badge, run page); a PR whose
// upgrade loses data fails on the upgrade stage everywhere; and a run cancelled from its run page
// ends `cancelled` on the PR with nothing of it left on the swarm.
import type { Comment, CommitStatus, PullRequest } from 'gitea-js';
import type { Browser, Locator, Page } from 'playwright-core';
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrokenPr } from '../../testbed/forge/seed.js';
import { startForge, type Forge } from '../../testbed/forge/server.js';
import { leftovers, waitFor } from './helpers.js';
import {
  adminToken,
  api,
  claimedStacks,
  finished,
  runUntil,
  serveConfig,
  startServe,
  type ApiRun,
  type ServeInstance,
} from './serve-helpers.js';

const REPO = 'coop-cloud/custom-html';
const BADGE = '/badge/custom-html.svg';
const RUN_TIMEOUT = 240_000;
/** What a reply says once its run has ended (src/report/pr-comment.ts, stateWords). */
const FINAL_REPLY = /✅ passed|❌ failed|⚠️ errored|⏹️ cancelled|⏭️ superseded|⚠️ interrupted/;

let forge: Forge;
let tokens: Record<string, string>;
let serve: ServeInstance;
let browser: Browser;

/** serve with the forge configured as in test/e2e/forge.test.ts: the bot's token, polling every second. */
async function serveWithForge(): Promise<ServeInstance> {
  const cfg = await serveConfig({ capacity: 2 });
  const doc = parse(readFileSync(cfg.file, 'utf8'));
  // pushRuns off: this file follows !testme runs (push runs: test/e2e/push-runs.test.ts).
  doc.forge = { type: 'gitea', url: forge.url, org: 'coop-cloud', repos: [REPO], pollInterval: '1s', pushRuns: false };
  writeFileSync(cfg.file, stringify(doc));
  return startServe(cfg, { CCCI_FORGE_TOKEN: tokens['cc-ci-bot']! });
}

async function forgeApi<T>(path: string): Promise<T> {
  const res = await fetch(`${forge.url}/api/v1${path}`, { headers: { authorization: `token ${tokens.maintainer}` } });
  return res.json() as Promise<T>;
}

const botComments = async (pr: number) =>
  (await forgeApi<Comment[]>(`/repos/${REPO}/issues/${pr}/comments`)).filter((c) => c.user?.login === 'cc-ci-bot');
const headSha = async (pr: number) => (await forgeApi<PullRequest>(`/repos/${REPO}/pulls/${pr}`)).head!.sha!;
const testme = (pr: number, body: string) =>
  forge.control.comment({ repo: REPO, index: pr, author: 'maintainer', body });

/** The one run of a PR once serve has picked up its `!testme`. */
async function runOfPr(pr: number): Promise<ApiRun> {
  return waitFor(
    `a run for PR #${pr}`,
    async () =>
      (await api<{ runs: Array<ApiRun & { pr?: number }> }>(serve.url, '/api/runs')).body.runs.find((r) => r.pr === pr),
    60_000,
  );
}

/** The bot's one reply on a PR, once it has been edited to a final state. */
async function finalReply(pr: number): Promise<string> {
  const body = await waitFor(
    `the reply on PR #${pr} to be final`,
    async () => (await botComments(pr)).find((c) => FINAL_REPLY.test(c.body ?? ''))?.body,
    60_000,
  );
  expect(await botComments(pr)).toHaveLength(1);
  return body;
}

/** The newest `cc-ci` status on a commit, once it is no longer pending. */
async function finalStatus(sha: string): Promise<CommitStatus> {
  return waitFor(
    `a final cc-ci status on ${sha}`,
    async () => {
      const newest = (await forgeApi<CommitStatus[]>(`/repos/${REPO}/statuses/${sha}`)).find(
        (s) => s.context === 'cc-ci',
      );
      return newest && newest.status !== 'pending' ? newest : undefined;
    },
    60_000,
  );
}

/** What the badge SVG says, as Chromium loads it. */
async function badgeText(page: Page): Promise<string> {
  await page.goto(`${serve.url}${BADGE}`);
  return (await page.locator('svg').first().textContent()) ?? '';
}

/**
 * The overview's row of custom-html: its latest run's state (the pill's text; CSS shows it upper-case), once the badge
 * image really loaded.
 */
async function overviewRow(page: Page): Promise<string | undefined> {
  await page.goto(`${serve.url}/`);
  const row = page.locator('tr', { has: page.locator('a', { hasText: /^custom-html$/ }) }).last();
  const badge = row.locator(`img[src="${BADGE}"]`);
  await badge.scrollIntoViewIfNeeded();
  await expect
    .poll(() => badge.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth))
    .toBeGreaterThan(0);
  return (await row.locator('.pill').first().textContent())?.trim();
}

const pillText = async (pill: Locator) => (await pill.textContent())?.trim();
const bannerState = (page: Page) => pillText(page.locator('.banner .pill.big'));
const stagePill = (page: Page, stage: string) =>
  pillText(
    page
      .locator('details.stage', { has: page.locator('.stage-name', { hasText: new RegExp(`^${stage}$`) }) })
      .locator('summary .pill')
      .first(),
  );

beforeAll(async () => {
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
  forge = await startForge({ seed: 'demo' });
  tokens = forge.seeded!.tokens;
  serve = await serveWithForge();
  // The first poll only marks what is there as history: comment after two polls have been answered.
  await waitFor(
    'two polls of the forge',
    async () =>
      forge.control
        .requests({ kind: 'api' })
        .filter((r) => r.user === 'cc-ci-bot' && r.status === 200 && r.path.includes('/issues/comments')).length >= 2 ||
      undefined,
    30_000,
  );
});

afterAll(async () => {
  await browser?.close();
  serve?.process.kill('SIGTERM');
  await serve?.process;
  await forge?.close();
});

describe('the product: !testme on a PR, the verdict on the PR and the dashboard', () => {
  let passedRun: ApiRun;
  let badgeRun: ApiRun;

  it(
    "a member's !testme on PR #1 runs it: the reply ends passed with the card, the head commit gets success",
    async () => {
      const sha = await headSha(1);
      testme(1, '!testme --quick');
      const run = await runOfPr(1);
      passedRun = await runUntil(serve.url, run.id, finished);
      expect(passedRun).toMatchObject({ state: 'passed', verdict: 'pass' });
      const reply = await finalReply(1);
      expect(reply).toContain('✅ passed');
      expect(reply).toContain(`${serve.url}/runs/${run.id}/card.png`);
      expect(await finalStatus(sha)).toMatchObject({
        context: 'cc-ci',
        status: 'success',
        target_url: `${serve.url}/runs/${run.id}`,
      });
    },
    RUN_TIMEOUT,
  );

  it(
    'the dashboard shows the verdict: overview, run page, and the badge once the default branch passed',
    async () => {
      const page = await browser.newPage();
      expect(await overviewRow(page)).toBe('passed');
      // The badge follows only runs of a branch, never of a PR (src/queue/store.ts finishRun,
      // docs/operating.md "Badges"): after PR runs alone it has nothing to show.
      expect(await badgeText(page)).toContain('no runs');
      // A maintainer tests the default branch through the API: now the badge passes, with its level.
      const queued = await api<ApiRun>(serve.url, '/api/runs', {
        method: 'POST',
        token: adminToken,
        body: { recipe: 'custom-html', ref: 'main', stages: ['install'] },
      });
      expect(queued.status).toBe(201);
      badgeRun = await runUntil(serve.url, queued.body.id, finished);
      expect(badgeRun).toMatchObject({ state: 'passed', verdict: 'pass' });
      await expect.poll(() => badgeText(page), { timeout: 10_000 }).toContain(`pass L${badgeRun.level}`);
      await page.goto(`${serve.url}/runs/${passedRun.id}`);
      expect(await bannerState(page)).toBe('passed');
      expect(await page.locator('.banner').textContent()).toMatch(/verdict\s*pass/);
      expect(await stagePill(page, 'install')).toBe('pass');
      await page.close();
    },
    RUN_TIMEOUT,
  );

  it(
    'a PR whose upgrade loses data fails: reply, status, run page and overview say the upgrade failed',
    async () => {
      const broken = await openBrokenPr(forge.control);
      testme(broken.number, '!testme --stages install,upgrade');
      const run = await runOfPr(broken.number);
      const ended = await runUntil(serve.url, run.id, finished);
      expect(ended).toMatchObject({ state: 'failed', verdict: 'fail' });
      const reply = await finalReply(broken.number);
      expect(reply).toContain('❌ failed');
      expect(reply).toMatch(/> \*\*upgrade › [^*]*marker[^*]*\*\*/);
      expect(reply).toMatch(/\| upgrade \| ❌ fail/);
      expect(reply).toMatch(/\| install \| ✅ pass/);
      expect(await finalStatus(broken.sha)).toMatchObject({ context: 'cc-ci', status: 'failure' });

      const page = await browser.newPage();
      await page.goto(`${serve.url}/runs/${run.id}`);
      expect(await bannerState(page)).toBe('failed');
      expect(await stagePill(page, 'upgrade')).toBe('fail');
      expect(await stagePill(page, 'install')).toBe('pass');
      expect(await page.locator('.banner .problem.fail').first().textContent()).toMatch(/upgrade › [^›]*marker/);
      expect(await overviewRow(page)).toBe('failed');
      // A failing PR does not turn the recipe's badge red: it still shows the default branch's run.
      expect(await badgeText(page)).toContain(`pass L${badgeRun.level}`);
      await page.close();
    },
    RUN_TIMEOUT,
  );

  it(
    'a run cancelled from its run page ends cancelled on the PR, with nothing left on the swarm',
    async () => {
      const sha = await forge.control.commitOnBranch(
        REPO,
        'pr-cancel',
        { 'marker.txt': 'marker-cancel\n' },
        'PR to cancel',
      );
      const pull = await forge.control.createPullRequest({
        repo: REPO,
        head: 'pr-cancel',
        title: 'PR to cancel',
        author: 'maintainer',
      });
      testme(pull.number!, '!testme');
      const run = await runOfPr(pull.number!);
      await runUntil(serve.url, run.id, (r) => r.state === 'running');
      // Cancel once something is deployed, so the teardown has something to take down.
      await waitFor('the run to deploy', async () => {
        for (const stack of claimedStacks(serve.store, run.id))
          if ((await leftovers(stack)).some((l) => l.startsWith('services '))) return true;
        return undefined;
      });

      const page = await browser.newPage();
      await page.goto(`${serve.url}/runs/${run.id}`);
      await page.locator('form[action$="/cancel"] input[name="token"]').fill(adminToken);
      await page.locator('form[action$="/cancel"] button').click();
      const ended = await runUntil(serve.url, run.id, finished);
      expect(ended).toMatchObject({ state: 'cancelled', error: { code: 'CANCELLED' } });
      await page.goto(`${serve.url}/runs/${run.id}`);
      expect(await bannerState(page)).toBe('cancelled');
      await page.close();

      const reply = await finalReply(pull.number!);
      expect(reply).toContain('⏹️ cancelled');
      expect(reply).not.toContain('card.png');
      // statusFor (src/report/pr-comment.ts) reports a cancelled run as `error`, never `failure`.
      expect(await finalStatus(sha)).toMatchObject({ context: 'cc-ci', status: 'error', description: 'cancelled' });
      const stacks = claimedStacks(serve.store, run.id);
      expect(stacks.length).toBeGreaterThan(0);
      for (const stack of stacks) expect(await leftovers(stack)).toEqual([]);
    },
    RUN_TIMEOUT,
  );
});
