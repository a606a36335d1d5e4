// The dashboard of a real `cc-ci serve`, driven in real Chromium as a maintainer would: the
// overview shows each recipe's badge and verdict, a running run's page shows new log lines as
// they come, and the cancel form (with the admin token) cancels a testbed run, which ends
// `cancelled` (never `failed`) with its apps torn down.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtures, leftovers, waitFor } from './helpers.js';
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

let browser: Browser;
let serve: ServeInstance;
let repos: Awaited<ReturnType<typeof fixtures>>;

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
  repos = await fixtures(['custom-html', 'pg-app']);
  serve = await startServe(await serveConfig({ capacity: 2 }));
});

afterAll(async () => {
  await browser?.close();
  serve?.process.kill('SIGTERM');
  await serve?.process;
});

const queue = (recipe: string, stages = ['install']) =>
  api<ApiRun>(serve.url, '/api/runs', {
    method: 'POST',
    token: adminToken,
    body: { recipe, ref: 'main', repo: repos[recipe]!.url, stages },
  });

describe('the dashboard in Chromium', () => {
  it('shows each recipe with its badge and verdict on the overview', async () => {
    const run = await queue('custom-html');
    expect(run.status).toBe(201);
    await runUntil(serve.url, run.body.id, finished);
    const page = await browser.newPage();
    await page.goto(`${serve.url}/`);
    const row = page.locator('tr', { has: page.locator('a', { hasText: /^custom-html$/ }) }).first();
    await expect.poll(() => row.innerText()).toMatch(/passed/i);
    const badge = row.locator('img[src="/badge/custom-html.svg"]');
    expect(await badge.count()).toBe(1);
    // The badge image really loads and says pass.
    expect(await badge.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(0);
    const svg = await (await fetch(`${serve.url}/badge/custom-html.svg`)).text();
    expect(svg).toContain('pass L1');
    // A recipe never run is listed without a verdict; its badge says so.
    expect(await page.locator('a', { hasText: /^pg-app$/ }).count()).toBeGreaterThan(0);
    expect(await (await fetch(`${serve.url}/badge/pg-app.svg`)).text()).toContain('no runs');
    await page.screenshot({ path: '/tmp/cc-ci-e2e-overview.png', fullPage: true });
    await page.close();
  });

  it('shows new log lines of a running run, and its cancel form cancels it: cancelled, swarm clean', async () => {
    const run = await queue('pg-app');
    await runUntil(serve.url, run.body.id, (r) => r.state === 'running');
    const page = await browser.newPage();
    await page.goto(`${serve.url}/runs/${run.body.id}`);
    const log = page.locator('#log');
    const before = (await log.innerText()).split('\n').length;
    // The page is not reloaded: new lines arrive over the live stream.
    await expect
      .poll(async () => (await log.innerText()).split('\n').length, { timeout: 60_000 })
      .toBeGreaterThan(before + 3);
    await expect.poll(async () => log.innerText(), { timeout: 60_000 }).toMatch(/install app pgap-/);
    const stack = await waitFor('the run to deploy', async () => {
      const claimed = claimedStacks(serve.store, run.body.id)[0];
      return claimed && (await leftovers(claimed)).some((l) => l.startsWith('services ')) ? claimed : undefined;
    });
    await page.screenshot({ path: '/tmp/cc-ci-e2e-run-live.png', fullPage: true });

    // A wrong token changes nothing. A cancel is under way by the time its form is answered: the
    // server has written the stop reason and sent SIGTERM (the state moves only after teardown).
    await page.locator('form[action$="/cancel"] input[name="token"]').fill('not-the-token');
    const [refused] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/cancel')),
      page.locator('form[action$="/cancel"] button').click(),
    ]);
    expect(refused.status()).toBe(401);
    expect(existsSync(join(serve.store, 'runs', run.body.id, 'stop-reason.json'))).toBe(false);
    // The run goes on: it still logs its install's progress, and no stop reached it.
    const runLog = join(serve.store, 'runs', run.body.id, 'artifacts', 'run.log');
    const lines = readFileSync(runLog, 'utf8').split('\n').length;
    await waitFor('the run to log on after the refused cancel', async () =>
      readFileSync(runLog, 'utf8').split('\n').length > lines ? true : undefined,
    );
    expect(readFileSync(runLog, 'utf8')).not.toMatch(/stopping the run and tearing down/);
    expect((await api<ApiRun>(serve.url, `/api/runs/${run.body.id}`)).body.state).toBe('running');
    await page.goto(`${serve.url}/runs/${run.body.id}`);
    await page.locator('form[action$="/cancel"] input[name="token"]').fill(adminToken);
    await page.locator('form[action$="/cancel"] button').click();
    const ended = await runUntil(serve.url, run.body.id, finished);
    expect(ended).toMatchObject({ state: 'cancelled', error: { code: 'CANCELLED' } });
    expect(ended.verdict).not.toBe('fail');
    expect(await leftovers(stack)).toEqual([]);
    await page.goto(`${serve.url}/runs/${run.body.id}`);
    expect(await page.locator('body').innerText()).toMatch(/cancelled/i);
    await page.close();
  });
});
